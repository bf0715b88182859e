import type { UrlBlob } from "../../../../gen/flyteidl/admin/common_pb.js";
import { formatBytes } from "../../lib/literal-view.js";

/**
 * Data the server did not inline (too large for its answer) but points to:
 * shown as a link with its size, as FlyteAdmin's get-data answers allow.
 */
export function DataBlobs({ blob }: { blob: UrlBlob | undefined }) {
  if (!blob?.url) return null;
  const size = formatBytes(Number(blob.bytes));
  return (
    <p className="status">
      Too large to show here{size ? ` (${size})` : ""}:{" "}
      <a href={blob.url} target="_blank" rel="noreferrer noopener">
        download
      </a>
    </p>
  );
}

import { clone } from "@bufbuild/protobuf";
import { type Literal, type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";

/** Deep enough for any literal flytekit builds; deeper ones are left as they are. */
const MAX_DEPTH = 64;

/**
 * A task's inputs with the blob URIs of the local store replaced by the files'
 * paths. flytekit takes a `file://` URI of a FlyteFile or FlyteDirectory for a
 * local path and fails to stat it, so files uploaded through DataProxy (whose
 * native URLs are `file://`) could not reach a task otherwise. Returns the map
 * itself when nothing changes.
 */
export function withLocalBlobPaths(inputs: LiteralMap, localPath: ((uri: string) => string | undefined) | undefined): LiteralMap {
  if (!localPath) return inputs;
  // One walk to find out, so inputs without local blobs (most) are never copied.
  const rewrite = (map: LiteralMap, apply: boolean): boolean => {
    let found = false;
    const visit = (literal: Literal | undefined, depth: number): void => {
      if (!literal || depth > MAX_DEPTH) return;
      const v = literal.value;
      if (v.case === "collection") for (const l of v.value.literals) visit(l, depth + 1);
      else if (v.case === "map") for (const l of Object.values(v.value.literals)) visit(l, depth + 1);
      else if (v.case === "scalar") {
        const s = v.value.value;
        if (s.case === "union") visit(s.value.value, depth + 1);
        else if (s.case === "blob") {
          const path = localPath(s.value.uri);
          if (path === undefined || path === s.value.uri) return;
          found = true;
          if (apply) s.value.uri = path;
        }
      }
    };
    for (const l of Object.values(map.literals)) visit(l, 0);
    return found;
  };
  if (!rewrite(inputs, false)) return inputs;
  const copy = clone(LiteralMapSchema, inputs);
  rewrite(copy, true);
  return copy;
}

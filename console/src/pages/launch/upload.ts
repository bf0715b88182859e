import type { Client } from "@connectrpc/connect";
import type { DataProxyService } from "../../../../gen/flyteidl/service/dataproxy_pb.js";

/** A folder upload is bounded: a launch form is no bulk transfer tool. */
export const MAX_FOLDER_FILES = 200;

/**
 * Uploads files through the data proxy as pyflyte does: CreateUploadLocation
 * for a signed URL, then a PUT of the bytes to it. All files of one upload go
 * under one fresh folder (`filename_root`), so a folder keeps its layout and
 * nothing the user picks can land on an earlier upload. Returns the URI to
 * send: the file's, or for a folder the folder's.
 */
export async function uploadFiles(
  client: Client<typeof DataProxyService>,
  where: { project: string; domain: string },
  files: File[],
  directory: boolean,
  signal?: AbortSignal,
): Promise<string> {
  if (files.length === 0) throw new Error("No file chosen");
  if (files.length > MAX_FOLDER_FILES) throw new Error(`A folder upload takes at most ${MAX_FOLDER_FILES} files`);
  const root = crypto.randomUUID();
  let folderUri = "";
  for (const file of files) {
    // A folder's files keep their path below the chosen folder (the browser prefixes its name).
    const relative = directory ? (file.webkitRelativePath || file.name).split("/").slice(1).join("/") || file.name : file.name;
    const location = await client.createUploadLocation({ project: where.project, domain: where.domain, filenameRoot: root, filename: relative }, { signal });
    const headers = new Headers();
    for (const [name, value] of Object.entries(location.headers)) headers.set(name, value);
    const res = await fetch(location.signedUrl, { method: "PUT", body: file, headers, signal });
    if (!res.ok) throw new Error(`Uploading ${relative} failed: HTTP ${res.status}`);
    if (!directory) return location.nativeUrl;
    folderUri = location.nativeUrl.slice(0, location.nativeUrl.length - relative.length).replace(/\/$/, "");
  }
  return folderUri;
}

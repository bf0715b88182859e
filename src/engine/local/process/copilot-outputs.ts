/**
 * The copilot uploader (engine-spec §4.7; flytecopilot/data/upload.go, cmd/sidecar.go), run
 * on the host after a raw container exits 0: `_ERROR` → error.pb; otherwise each declared
 * output is read from the output directory (simple types parsed, blobs uploaded under the
 * raw output prefix) and `outputs.pb` is written.
 */
import { createReadStream } from "node:fs";
import { lstat, readFile, readdir, realpath, stat } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { BlobStore } from "../../../blob/blob-store.js";
import { ContainerError_Kind, ContainerErrorSchema, ErrorDocumentSchema } from "../../../../gen/flyteidl/core/errors_pb.js";
import { ExecutionError_ErrorKind } from "../../../../gen/flyteidl/core/execution_pb.js";
import { type Literal, LiteralMapSchema } from "../../../../gen/flyteidl/core/literals_pb.js";
import { BlobType_BlobDimensionality, type LiteralType, type SimpleType } from "../../../../gen/flyteidl/core/types_pb.js";
import type { TaskTemplate } from "../../../../gen/flyteidl/core/tasks_pb.js";
import { COPILOT_LIMITS, checkPathPart, errorMessage, keyOfUri } from "./copilot-common.js";
import { blobLiteral, simpleLiteral, simpleTypeName } from "./copilot-literals.js";

/** error.pb codes: the user's `_ERROR` file, and anything that kept the outputs from being collected. */
export const COPILOT_USER_ERROR_CODE = "USER:Error";
export const COPILOT_UPLOAD_ERROR_CODE = "OutputUploadFailed";

class UserError extends Error {}

/**
 * Collects the outputs of a raw container that exited 0 into `<outputPrefix>/outputs.pb`, or
 * writes `<outputPrefix>/error.pb`: `_ERROR` → `User Error: <content>` NON_RECOVERABLE USER;
 * a missing, unreadable or unparsable output or a failed upload → `OutputUploadFailed`
 * RECOVERABLE SYSTEM. Does nothing when the interface declares no outputs (copilot adds no
 * uploader then). Throws only when neither document can be written.
 */
export async function uploadCopilotOutputs(o: { template: TaskTemplate; outDir: string; outputPrefix: string; rawOutputPrefix: string; blobs: BlobStore }): Promise<void> {
  const variables = o.template.interface?.outputs?.variables ?? {};
  if (Object.keys(variables).length === 0) return;
  const prefix = o.outputPrefix.replace(/\/+$/, "");
  const outputsKey = keyOfUri(o.blobs, `${prefix}/outputs.pb`);
  const errorKey = keyOfUri(o.blobs, `${prefix}/error.pb`);
  let outputs;
  try {
    outputs = await collect(o, variables);
  } catch (e) {
    const user = e instanceof UserError;
    const doc = create(ErrorDocumentSchema, {
      error: create(ContainerErrorSchema, {
        code: user ? COPILOT_USER_ERROR_CODE : COPILOT_UPLOAD_ERROR_CODE,
        message: errorMessage(e),
        kind: user ? ContainerError_Kind.NON_RECOVERABLE : ContainerError_Kind.RECOVERABLE,
        origin: user ? ExecutionError_ErrorKind.USER : ExecutionError_ErrorKind.SYSTEM,
        timestamp: timestampFromDate(new Date()),
      }),
    });
    await o.blobs.putMessage(errorKey, ErrorDocumentSchema, doc);
    return;
  }
  try {
    await o.blobs.putMessage(outputsKey, LiteralMapSchema, outputs);
  } catch (e) {
    const doc = create(ErrorDocumentSchema, {
      error: create(ContainerErrorSchema, {
        code: COPILOT_UPLOAD_ERROR_CODE,
        message: errorMessage(e),
        kind: ContainerError_Kind.RECOVERABLE,
        origin: ExecutionError_ErrorKind.SYSTEM,
        timestamp: timestampFromDate(new Date()),
      }),
    });
    await o.blobs.putMessage(errorKey, ErrorDocumentSchema, doc);
  }
}

interface Ctx {
  blobs: BlobStore;
  /** The output directory's real path: every file read must resolve inside it. */
  root: string;
}

async function collect(
  o: { outDir: string; rawOutputPrefix: string; blobs: BlobStore },
  variables: Record<string, { type?: LiteralType }>,
) {
  const outDir = resolve(o.outDir);
  const root = await realpath(outDir);
  const ctx: Ctx = { blobs: o.blobs, root };
  await checkErrorFile(ctx, join(outDir, "_ERROR"));
  const outputs = create(LiteralMapSchema);
  const raw = o.rawOutputPrefix.replace(/\/+$/, "");
  for (const name of Object.keys(variables).sort()) {
    checkPathPart(name);
    const t = variables[name]!.type?.type;
    const path = join(outDir, name);
    let lit: Literal;
    if (t?.case === "blob") lit = await uploadBlobOutput(ctx, path, `${raw}/${name}`);
    else if (t?.case === "simple") lit = await readSimpleOutput(ctx, t.value, path);
    else throw new Error(`currently CoPilot uploader does not support [${t?.case ?? "empty"}], system error`);
    outputs.literals[name] = lit;
  }
  return outputs;
}

/** `_ERROR` present → the task's own failure, its content being the message. */
async function checkErrorFile(ctx: Ctx, path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (info.isDirectory()) throw new Error("error file is a directory");
  if (!info.isFile()) throw new Error("error file is not a regular file");
  if (info.size > COPILOT_LIMITS.maxErrorFileBytes) throw new Error(`error file too large ${info.size}`);
  const real = await inside(ctx, path);
  const text = new TextDecoder().decode(await readFile(real));
  throw new UserError(`User Error: ${text}`);
}

/**
 * The real path of `path`, refused unless it lies inside the output directory: in docker mode
 * the container writes that directory, and a symlink it leaves must not make the engine read
 * (and publish) a file of the host.
 */
async function inside(ctx: Ctx, path: string): Promise<string> {
  const real = await realpath(path);
  if (real !== ctx.root && !real.startsWith(ctx.root + sep)) throw new Error(`[${path}] points outside the output directory`);
  return real;
}

/** A FIFO or device would block or never end a read: only regular files are taken. */
function notRegular(path: string): string {
  return `[${path}] is not a regular file or folder`;
}

/**
 * flytecopilot's IsFileReadable(path, ignoreExtension=true): the exact name, or else the one
 * file named `<name>.<anything>` (so `out.txt` answers for output `out`).
 */
async function findOutput(path: string): Promise<string> {
  try {
    await lstat(path);
    return path;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const dir = join(path, "..");
  const stem = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const matches = names.filter((n) => n.startsWith(stem) && n.length > stem.length);
  if (matches.length === 1) return join(dir, matches[0]!);
  throw new Error(`file not found at path [${path}]`);
}

async function readSimpleOutput(ctx: Ctx, t: SimpleType, path: string): Promise<Literal> {
  const real = await inside(ctx, await findOutput(path));
  const info = await stat(real);
  if (info.isDirectory()) throw new Error(`expected file for type [${simpleTypeName(t)}], found dir at path [${path}]`);
  if (!info.isFile()) throw new Error(notRegular(path));
  if (info.size > COPILOT_LIMITS.maxPrimitiveBytes) {
    throw new Error(`maximum allowed filesize is [${COPILOT_LIMITS.maxPrimitiveBytes}], but found [${info.size}]`);
  }
  return simpleLiteral(t, new Uint8Array(await readFile(real)));
}

/** `handleBlobType`: a file → a single blob at `<raw>/<var>`; a folder → its files, flattened, under it (multipart). */
async function uploadBlobOutput(ctx: Ctx, path: string, toUri: string): Promise<Literal> {
  const found = await findOutput(path);
  const real = await inside(ctx, found);
  const info = await stat(real);
  const toKey = keyOfUri(ctx.blobs, toUri);
  if (!info.isDirectory()) {
    if (!info.isFile()) throw new Error(notRegular(found));
    await uploadFile(ctx.blobs, real, info.size, toKey);
    return blobLiteral(toUri, BlobType_BlobDimensionality.SINGLE);
  }
  const files: string[] = [];
  await walk(ctx, real, 0, files);
  // Copilot names each part by its base name only (nested folders are flattened; a later
  // file of the same name wins); here the walk order decides, so the result is repeatable.
  for (const f of files) {
    const name = basename(f);
    const partKey = `${toKey}/${name}`;
    if (ctx.blobs.keyOf(ctx.blobs.uri(partKey)) === undefined) throw new Error(`output file name ${JSON.stringify(name)} cannot be stored`);
    await uploadFile(ctx.blobs, f, (await stat(f)).size, partKey);
  }
  return blobLiteral(toUri, BlobType_BlobDimensionality.MULTIPART);
}

/** Every file under `dir` in name order, symlinks resolved and kept inside the output directory. */
async function walk(ctx: Ctx, dir: string, depth: number, files: string[]): Promise<void> {
  if (depth > COPILOT_LIMITS.maxDepth) throw new Error(`output folder nested deeper than ${COPILOT_LIMITS.maxDepth} levels at [${dir}]`);
  const entries = (await readdir(dir)).sort();
  for (const name of entries) {
    const real = await inside(ctx, join(dir, name));
    const info = await stat(real);
    if (info.isDirectory()) {
      if (real !== join(dir, name)) throw new Error(`[${join(dir, name)}] is a link to a folder, which cannot be uploaded`);
      await walk(ctx, real, depth + 1, files);
    } else if (info.isFile()) {
      files.push(real);
      if (files.length > COPILOT_LIMITS.maxEntries) throw new Error(`output folder has more than ${COPILOT_LIMITS.maxEntries} files`);
    } else {
      throw new Error(notRegular(join(dir, name)));
    }
  }
}

async function uploadFile(blobs: BlobStore, path: string, size: number, key: string): Promise<void> {
  if (blobs.putStream) {
    await blobs.putStream(key, createReadStream(path), () => {});
    return;
  }
  if (size > COPILOT_LIMITS.maxBufferedBlobBytes) {
    throw new Error(`[${path}] is ${size} bytes, more than ${COPILOT_LIMITS.maxBufferedBlobBytes} this blob store accepts in one upload`);
  }
  await blobs.put(key, new Uint8Array(await readFile(path)));
}

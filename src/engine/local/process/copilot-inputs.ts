/**
 * The copilot downloader (engine-spec §4.7; flytecopilot/data/download.go), run on the
 * host before a raw container starts: every input becomes a file or directory under the
 * attempt's input directory, plus `inputs.pb` with local paths in place of blob URIs and,
 * per the template's `format`, `inputs.json` or `inputs.yaml`.
 */
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import type { BlobStore } from "../../../blob/blob-store.js";
import {
  type Blob,
  type Literal,
  LiteralCollectionSchema,
  LiteralMapSchema,
  LiteralSchema,
  type LiteralMap,
  ScalarSchema,
  type Scalar,
  BlobSchema,
  BlobMetadataSchema,
  SchemaSchema,
  UnionSchema,
} from "../../../../gen/flyteidl/core/literals_pb.js";
import { BlobType_BlobDimensionality, BlobTypeSchema } from "../../../../gen/flyteidl/core/types_pb.js";
import { DataLoadingConfig_LiteralMapFormat, type TaskTemplate } from "../../../../gen/flyteidl/core/tasks_pb.js";
import { type NativeMap, type NativeValue, goJson, goYaml, primitiveText, structNative } from "./copilot-format.js";
import { COPILOT_LIMITS, checkPathPart, dataConfigOf, errorMessage as msg, keyOfUri } from "./copilot-common.js";

/** An input could not be made available; the attempt fails as a SYSTEM RetryableFailure (code `InputDownloadFailed`). */
export class CopilotDownloadError extends Error {
  override name = "CopilotDownloadError";
  readonly code = "InputDownloadFailed";
}

interface Ctx {
  blobs: BlobStore;
  /** inDir as the task sees it (see `visibleInDir`). */
  hostDir: string;
  visibleDir: string;
  /** Files and directories created so far, against COPILOT_LIMITS.maxEntries. */
  entries: number;
}

/**
 * Downloads the inputs at `inputPath` (a blob URI of `inputs.pb`) into `inDir`. Only runs when
 * the template's interface declares inputs (copilot adds no downloader otherwise); `inDir` is
 * created either way, so a bind mount never has docker create it. Throws CopilotDownloadError.
 *
 * `visibleInDir` is where the task sees `inDir`: the local paths written into inputs.pb/json/yaml
 * use it. Host mode: inDir itself (the default). Docker mode: the declared input_path it is mounted at.
 */
export async function prepareCopilotInputs(o: { template: TaskTemplate; inputPath: string; blobs: BlobStore; inDir: string; visibleInDir?: string }): Promise<void> {
  const inDir = resolve(o.inDir);
  await mkdir(inDir, { recursive: true });
  const declared = o.template.interface?.inputs?.variables ?? {};
  if (Object.keys(declared).length === 0) return;
  const format = dataConfigOf(o.template)?.format ?? DataLoadingConfig_LiteralMapFormat.JSON;
  const ctx: Ctx = { blobs: o.blobs, hostDir: inDir, visibleDir: o.visibleInDir ?? inDir, entries: 0 };
  let inputs: LiteralMap | undefined;
  try {
    inputs = await o.blobs.getMessage(keyOfUri(o.blobs, o.inputPath), LiteralMapSchema);
  } catch (e) {
    throw new CopilotDownloadError(`failed to download input metadata message from remote store: ${msg(e)}`);
  }
  if (inputs === undefined) throw new CopilotDownloadError(`failed to download input metadata message from remote store: [${o.inputPath}] not found`);
  let native: NativeMap;
  let local: LiteralMap;
  try {
    ({ native, local } = await downloadMap(ctx, inputs, inDir, 0, true));
  } catch (e) {
    throw new CopilotDownloadError(`failed to download input variable from remote store: ${msg(e)}`);
  }
  try {
    await writeFile(join(inDir, "inputs.pb"), toBinary(LiteralMapSchema, local));
    if (format === DataLoadingConfig_LiteralMapFormat.JSON) await writeFile(join(inDir, "inputs.json"), goJson(native));
    if (format === DataLoadingConfig_LiteralMapFormat.YAML) await writeFile(join(inDir, "inputs.yaml"), goYaml(native));
  } catch (e) {
    throw new CopilotDownloadError(`failed to marshal out inputs: ${msg(e)}`);
  }
}

/** `RecursiveDownload`: one entry per literal, in name order (Go runs them concurrently; the files are the same). */
async function downloadMap(ctx: Ctx, m: LiteralMap, dir: string, depth: number, topLevel: boolean): Promise<{ native: NativeMap; local: LiteralMap }> {
  const native: NativeMap = new Map();
  const local = create(LiteralMapSchema);
  for (const name of Object.keys(m.literals).sort()) {
    let lit = m.literals[name]!;
    try {
      checkPathPart(name);
      if (topLevel && lit.value.case === "offloadedMetadata") {
        const uri = lit.value.value.uri;
        const loaded = await ctx.blobs.getMessage(keyOfUri(ctx.blobs, uri), LiteralSchema);
        if (loaded === undefined) throw new Error(`Failed to  read the object at location [${uri}] with error [not found]`);
        lit = loaded;
      }
      const r = await downloadLiteral(ctx, lit, join(dir, name), depth + 1);
      native.set(name, r.native);
      local.literals[name] = r.local;
    } catch (e) {
      throw new Error(`variable [${name}] download/store failed: ${msg(e)}`);
    }
  }
  return { native, local };
}

async function downloadLiteral(ctx: Ctx, lit: Literal, path: string, depth: number): Promise<{ native: NativeValue; local: Literal }> {
  if (depth > COPILOT_LIMITS.maxDepth) throw new Error(`inputs nested deeper than ${COPILOT_LIMITS.maxDepth} levels`);
  const v = lit.value;
  switch (v.case) {
    case "scalar": {
      const r = await downloadScalar(ctx, v.value, path, depth);
      return { native: r.native, local: create(LiteralSchema, { value: { case: "scalar", value: r.local } }) };
    }
    case "collection": {
      await makeDir(ctx, path);
      const native: NativeValue[] = [];
      const literals: Literal[] = [];
      for (const [i, item] of v.value.literals.entries()) {
        const r = await downloadLiteral(ctx, item, join(path, String(i)), depth + 1);
        native.push(r.native);
        literals.push(r.local);
      }
      return { native, local: create(LiteralSchema, { value: { case: "collection", value: create(LiteralCollectionSchema, { literals }) } }) };
    }
    case "map": {
      await makeDir(ctx, path);
      const r = await downloadMap(ctx, v.value, path, depth, false);
      return { native: r.native, local: create(LiteralSchema, { value: { case: "map", value: r.local } }) };
    }
    default:
      throw new Error(`unsupported literal type [${v.case ?? "empty"}]`);
  }
}

async function downloadScalar(ctx: Ctx, s: Scalar, path: string, depth: number): Promise<{ native: NativeValue; local: Scalar }> {
  const v = s.value;
  switch (v.case) {
    case "primitive": {
      const { text, native } = primitiveText(v.value);
      await writeEntry(ctx, path, text);
      return { native, local: s };
    }
    case "blob": {
      await downloadBlob(ctx, v.value, path);
      const seen = visible(ctx, path);
      const blob = create(BlobSchema, { uri: seen, metadata: v.value.metadata });
      return { native: seen, local: create(ScalarSchema, { value: { case: "blob", value: blob } }) };
    }
    case "schema": {
      const asBlob = create(BlobSchema, {
        uri: v.value.uri,
        metadata: create(BlobMetadataSchema, { type: create(BlobTypeSchema, { dimensionality: BlobType_BlobDimensionality.MULTIPART }) }),
      });
      await downloadBlob(ctx, asBlob, path);
      const seen = visible(ctx, path);
      const schema = create(SchemaSchema, { uri: seen, type: v.value.type });
      return { native: seen, local: create(ScalarSchema, { value: { case: "schema", value: schema } }) };
    }
    case "binary":
      await writeEntry(ctx, path, v.value.value);
      return { native: v.value.value, local: s };
    case "error":
      await writeEntry(ctx, path, v.value.message);
      return { native: v.value.message, local: s };
    case "generic": {
      const native = structNative(v.value);
      await writeEntry(ctx, path, goJson(native));
      return { native, local: s };
    }
    case "union": {
      if (v.value.value === undefined) throw new Error("union without a value");
      const r = await downloadLiteral(ctx, v.value.value, path, depth + 1);
      const union = create(UnionSchema, { type: v.value.type, value: r.local });
      return { native: r.native, local: create(ScalarSchema, { value: { case: "union", value: union } }) };
    }
    case "noneType":
      await writeEntry(ctx, path, "null");
      return { native: null, local: s };
    default:
      throw new Error(`unsupported scalar type [${v.case ?? "empty"}]`);
  }
}

/** A path under the host's inDir as the task sees it. */
function visible(ctx: Ctx, path: string): string {
  return ctx.visibleDir + path.slice(ctx.hostDir.length);
}

function count(ctx: Ctx): void {
  if (++ctx.entries > COPILOT_LIMITS.maxEntries) throw new Error(`inputs need more than ${COPILOT_LIMITS.maxEntries} files`);
}

async function makeDir(ctx: Ctx, path: string): Promise<void> {
  count(ctx);
  await mkdir(path, { recursive: true });
}

async function writeEntry(ctx: Ctx, path: string, data: string | Uint8Array): Promise<void> {
  count(ctx);
  await writeFile(path, data);
}

/**
 * `handleBlob`: a single blob is copied to `path`; a multipart blob (a folder) has every object
 * under `<uri>/` copied to `path/<relative key>`. URIs outside this engine's blob store are refused.
 */
async function downloadBlob(ctx: Ctx, blob: Blob, path: string): Promise<void> {
  const key = keyOfUri(ctx.blobs, blob.uri.replace(/\/+$/, ""));
  if (blob.metadata?.type?.dimensionality === BlobType_BlobDimensionality.MULTIPART) {
    const prefix = `${key}/`;
    const keys = await ctx.blobs.list(prefix);
    if (keys.length > COPILOT_LIMITS.maxEntries) throw new Error(`multipart blob [${blob.uri}] has more than ${COPILOT_LIMITS.maxEntries} parts`);
    // An empty folder gives an empty directory (copilot would leave nothing at the path).
    await makeDir(ctx, path);
    for (const k of keys) {
      const target = join(path, ...k.slice(prefix.length).split("/"));
      count(ctx);
      await mkdir(dirname(target), { recursive: true });
      await copyBlob(ctx.blobs, k, target);
    }
    return;
  }
  count(ctx);
  await copyBlob(ctx.blobs, key, path);
}

async function copyBlob(blobs: BlobStore, key: string, target: string): Promise<void> {
  if (blobs.openRead) {
    const found = await blobs.openRead(key);
    if (!found) throw new Error(`incorrect blob reference, does not exist: [${blobs.uri(key)}]`);
    await pipeline(found.stream, createWriteStream(target));
    return;
  }
  const bytes = await blobs.get(key);
  if (bytes === undefined) throw new Error(`incorrect blob reference, does not exist: [${blobs.uri(key)}]`);
  await writeFile(target, bytes);
}

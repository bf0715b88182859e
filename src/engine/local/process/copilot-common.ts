/** What the copilot downloader, uploader and path rewrite share. Pure. */
import type { BlobStore } from "../../../blob/blob-store.js";
import type { DataLoadingConfig, TaskTemplate } from "../../../../gen/flyteidl/core/tasks_pb.js";

/** Bounds on what one attempt's copilot may touch, so a hostile or broken task cannot exhaust the engine. */
export const COPILOT_LIMITS = {
  /** Files plus directories written for one attempt's inputs, and files walked in one output folder. */
  maxEntries: 10_000,
  /** Nesting of collections/maps in inputs and of folders in an output directory. */
  maxDepth: 64,
  /** `_ERROR` (flytecopilot's limit). */
  maxErrorFileBytes: 1024 * 1024,
  /** The file of a simple-typed output (flytecopilot's maxPrimitiveSize). */
  maxPrimitiveBytes: 1024,
  /** A blob output uploaded to a store that cannot stream (S3 here) is held in memory once. */
  maxBufferedBlobBytes: 1024 * 1024 * 1024,
} as const;

/** flytepropeller's co-pilot defaults, used when the template leaves a path empty (flytekit does without input_data_dir). */
export const DEFAULT_INPUT_PATH = "/var/flyte/inputs";
export const DEFAULT_OUTPUT_PATH = "/var/flyte/outputs";

/** The template's DataLoadingConfig: on the container, or on the pod spec of a pod-template task. */
export function dataConfigOf(template: TaskTemplate): DataLoadingConfig | undefined {
  const t = template.target;
  if (t.case === "container" || t.case === "k8sPod") return t.value.dataConfig;
  return undefined;
}

/** The declared container paths, defaulted like propeller, without trailing slashes. */
export function declaredPaths(template: TaskTemplate): { inputPath: string; outputPath: string } {
  const dc = dataConfigOf(template);
  return { inputPath: trimSlash(dc?.inputPath || DEFAULT_INPUT_PATH), outputPath: trimSlash(dc?.outputPath || DEFAULT_OUTPUT_PATH) };
}

function trimSlash(p: string): string {
  const t = p.replace(/\/+$/, "");
  return t === "" ? "/" : t;
}

/**
 * A variable name or map key used as one path component: Go's path.Join would let
 * "../x" or "a/b" out of the input directory, so such names are refused.
 */
export function checkPathPart(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new Error(`name ${JSON.stringify(name)} cannot be used as a file name`);
  }
}

/** The store key of a URI, or an error naming it: only this engine's blob store is reachable. */
export function keyOfUri(blobs: BlobStore, uri: string): string {
  const key = blobs.keyOf(uri);
  if (key === undefined) throw new Error(`[${uri}] is not in this engine's blob store (${blobs.base})`);
  return key;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

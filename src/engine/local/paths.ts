/**
 * Metadata and raw-output locations of the embedded engine (engine-spec §3.1, §1.2).
 * Pure string functions over URI bases; joining follows flytestdlib's
 * ConstructReference: the base gets exactly one `/` unless it already ends in one,
 * and each nested key is trimmed of surrounding slashes.
 */
import { rawOutputShard } from "./ids.js";

/** Joins nested keys onto a URI base the way flytestdlib's URL path constructor does. */
export function joinUri(base: string, ...keys: readonly string[]): string {
  const rel = keys.map((k) => k.replace(/^\/+|\/+$/g, "")).join("/");
  return base.endsWith("/") ? base + rel : `${base}/${rel}`;
}

/** `W = <metaBase>/<project>-<domain>-<name>` */
export function workflowDir(metaBase: string, id: { project: string; domain: string; name: string }): string {
  return joinUri(metaBase, `${id.project}-${id.domain}-${id.name}`);
}

/** Data dir of a top-level node: `W/<id>/data`. */
export function topNodeDataDir(workflowDir: string, specNodeId: string): string {
  return joinUri(workflowDir, specNodeId, "data");
}

/** Data dir of a nested node (subworkflow, branch or dynamic child): `<parent's current output dir>/<id>`, no `/data`. */
export function nestedNodeDataDir(parentOutputDir: string, specNodeId: string): string {
  return joinUri(parentOutputDir, specNodeId);
}

/** Output dir of one attempt: `<dataDir>/<attempt>`. */
export function outputDir(dataDir: string, attempt: number): string {
  return joinUri(dataDir, String(attempt));
}

/** `<dataDir>/inputs.pb` */
export function inputsPath(dataDir: string): string {
  return joinUri(dataDir, "inputs.pb");
}

/** `<outputDir>/outputs.pb` */
export function outputsPath(outputDir: string): string {
  return joinUri(outputDir, "outputs.pb");
}

/** `<outputDir>/error.pb` */
export function errorPath(outputDir: string): string {
  return joinUri(outputDir, "error.pb");
}

/** `<outputDir>/futures.pb` (a dynamic task's DynamicJobSpec). */
export function futuresPath(outputDir: string): string {
  return joinUri(outputDir, "futures.pb");
}

/** `<outputDir>/deck.html` */
export function deckPath(outputDir: string): string {
  return joinUri(outputDir, "deck.html");
}

/** `<dataDir>/task.pb`, written only when a template uses `{{.taskTemplatePath}}`. */
export function taskTemplatePath(dataDir: string): string {
  return joinUri(dataDir, "task.pb");
}

/** `<rawBase>/<shard>/<generatedName>` */
export function rawOutputPrefix(rawBase: string, generatedName: string): string {
  return joinUri(rawBase, rawOutputShard(generatedName), generatedName);
}

/** `<raw output prefix>/_flytecheckpoints` */
export function checkpointPrefix(rawOutputPrefix: string): string {
  return joinUri(rawOutputPrefix, "_flytecheckpoints");
}

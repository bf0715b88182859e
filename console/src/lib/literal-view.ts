import type { JsonValue } from "@bufbuild/protobuf";
import type { Binary, Literal, LiteralMap, Primitive, Scalar } from "../../../gen/flyteidl/core/literals_pb.js";
import { BlobType_BlobDimensionality } from "../../../gen/flyteidl/core/types_pb.js";
// The engine's bounded MessagePack reader: pure code with no Node dependency, shared rather than written twice.
import { decodeMsgpack, type MsgpackNode } from "../../../src/engine/local/msgpack-value.js";
import { formatLiteralType } from "./literal-type.js";
import { formatDuration, formatTimestamp } from "./time-format.js";

/** What the page draws for a literal: a small tree of display-ready pieces, never a raw message. */
export type LiteralView =
  | { kind: "value"; type: string; text: string }
  | { kind: "link"; type: string; uri: string; detail: string }
  | { kind: "list"; items: LiteralView[]; omitted: number }
  | { kind: "map"; entries: LiteralEntry[]; omitted: number }
  | { kind: "union"; variant: string; value: LiteralView }
  | { kind: "error"; nodeId: string; message: string }
  | { kind: "json"; type: string; text: string }
  | { kind: "bytes"; tag: string; size: number; preview: string }
  | { kind: "cut"; reason: string };

export interface LiteralEntry {
  key: string;
  value: LiteralView;
}

export interface LiteralViewLimits {
  /** Nesting levels drawn before a value is cut. */
  maxDepth: number;
  /** Items of one list or map drawn; the rest is counted. */
  maxItems: number;
  /** Characters of one text drawn. */
  maxText: number;
  /** Pieces drawn for one whole literal map, so a huge output cannot freeze the page. */
  maxNodes: number;
}

export const DEFAULT_LITERAL_LIMITS: LiteralViewLimits = { maxDepth: 10, maxItems: 100, maxText: 10_000, maxNodes: 5_000 };

/** Shared by every piece of one call: the node budget is for the whole map. */
interface Budget {
  limits: LiteralViewLimits;
  nodes: number;
}

/** Every entry of an inputs or outputs map, in key order (Flyte's maps have no order of their own). */
export function literalMapView(map: LiteralMap | undefined, limits: Partial<LiteralViewLimits> = {}): LiteralEntry[] {
  const budget: Budget = { limits: { ...DEFAULT_LITERAL_LIMITS, ...limits }, nodes: 0 };
  const keys = Object.keys(map?.literals ?? {}).sort();
  return keys.map((key) => ({ key, value: view(map!.literals[key]!, 0, budget) }));
}

/** One literal. */
export function literalView(literal: Literal, limits: Partial<LiteralViewLimits> = {}): LiteralView {
  return view(literal, 0, { limits: { ...DEFAULT_LITERAL_LIMITS, ...limits }, nodes: 0 });
}

function view(literal: Literal, depth: number, budget: Budget): LiteralView {
  if (++budget.nodes > budget.limits.maxNodes) return { kind: "cut", reason: "too many values to show" };
  if (depth >= budget.limits.maxDepth) return { kind: "cut", reason: "nested too deeply to show" };
  const v = literal.value;
  switch (v.case) {
    case "scalar":
      return scalarView(v.value, depth, budget);
    case "collection": {
      const all = v.value.literals;
      const shown = all.slice(0, budget.limits.maxItems);
      return { kind: "list", items: shown.map((l) => view(l, depth + 1, budget)), omitted: all.length - shown.length };
    }
    case "map": {
      const keys = Object.keys(v.value.literals).sort();
      const shown = keys.slice(0, budget.limits.maxItems);
      return {
        kind: "map",
        entries: shown.map((key) => ({ key, value: view(v.value.literals[key]!, depth + 1, budget) })),
        omitted: keys.length - shown.length,
      };
    }
    case "offloadedMetadata":
      return {
        kind: "link",
        type: "offloaded literal",
        uri: v.value.uri,
        detail: [formatBytes(Number(v.value.sizeBytes)), v.value.inferredType ? formatLiteralType(v.value.inferredType) : ""].filter(Boolean).join(", "),
      };
    default:
      return { kind: "value", type: "empty", text: "(no value)" };
  }
}

function scalarView(scalar: Scalar, depth: number, budget: Budget): LiteralView {
  const s = scalar.value;
  switch (s.case) {
    case "primitive":
      return primitiveView(s.value, budget.limits.maxText);
    case "noneType":
      return { kind: "value", type: "none", text: "None" };
    case "blob": {
      const dim = s.value.metadata?.type?.dimensionality;
      const type = dim === BlobType_BlobDimensionality.MULTIPART ? "directory" : "file";
      return { kind: "link", type, uri: s.value.uri, detail: s.value.metadata?.type?.format ?? "" };
    }
    case "schema":
      return { kind: "link", type: "schema", uri: s.value.uri, detail: columnsDetail(s.value.type?.columns.map((c) => c.name) ?? []) };
    case "structuredDataset": {
      const t = s.value.metadata?.structuredDatasetType;
      const detail = [t?.format ?? "", columnsDetail(t?.columns.map((c) => c.name) ?? [])].filter(Boolean).join(", ");
      return { kind: "link", type: "structured dataset", uri: s.value.uri, detail };
    }
    case "union": {
      const inner = s.value.value;
      return {
        kind: "union",
        variant: s.value.type ? formatLiteralType(s.value.type) : "variant",
        value: inner ? view(inner, depth + 1, budget) : { kind: "value", type: "none", text: "None" },
      };
    }
    case "error":
      return { kind: "error", nodeId: s.value.failedNodeId, message: cut(s.value.message, budget.limits.maxText) };
    case "generic":
      return { kind: "json", type: "JSON", text: jsonText(s.value, budget.limits) };
    case "binary":
      return binaryView(s.value, budget.limits);
    default:
      return { kind: "value", type: "empty", text: "(no value)" };
  }
}

function primitiveView(p: Primitive, maxText: number): LiteralView {
  const v = p.value;
  switch (v.case) {
    case "integer":
      return { kind: "value", type: "int", text: v.value.toString() };
    case "floatValue":
      return { kind: "value", type: "float", text: formatFloat(v.value) };
    case "stringValue":
      return { kind: "value", type: "str", text: cut(v.value, maxText) };
    case "boolean":
      return { kind: "value", type: "bool", text: v.value ? "true" : "false" };
    case "datetime":
      return { kind: "value", type: "datetime", text: formatTimestamp(v.value) };
    case "duration":
      return { kind: "value", type: "duration", text: formatDuration(v.value) };
    default:
      return { kind: "value", type: "empty", text: "(no value)" };
  }
}

/** Python's spelling, so a float input reads as it was typed (1.0 stays 1.0, not 1). */
function formatFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? n.toFixed(1) : String(n);
}

/** flytekit's dataclasses, pydantic models and dicts arrive as MessagePack; shown as JSON when they decode. */
function binaryView(b: Binary, limits: LiteralViewLimits): LiteralView {
  if (b.tag === "msgpack" && b.value.length > 0) {
    try {
      const decoded = decodeMsgpack(b.value, { maxDepth: limits.maxDepth * 4 });
      return { kind: "json", type: "msgpack", text: jsonText(msgpackToJson(decoded, limits), limits) };
    } catch {
      // Not MessagePack after all: fall through to the byte preview.
    }
  }
  const preview = Array.from(b.value.subarray(0, 32), (x) => x.toString(16).padStart(2, "0")).join(" ");
  return { kind: "bytes", tag: b.tag, size: b.value.length, preview: b.value.length > 32 ? `${preview} …` : preview };
}

function msgpackToJson(node: MsgpackNode, limits: LiteralViewLimits): JsonValue {
  switch (node.kind) {
    case "nil":
      return null;
    case "bool":
      return node.value;
    case "int":
      // JSON numbers lose precision past 2^53; such integers are shown as text.
      return node.value >= BigInt(Number.MIN_SAFE_INTEGER) && node.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(node.value) : node.value.toString();
    case "float":
      return Number.isFinite(node.value) ? node.value : String(node.value);
    case "str":
      return cut(node.value, limits.maxText);
    case "bin":
      return `<${node.value.length} bytes>`;
    case "ext":
      return `<extension ${node.type}, ${node.data.length} bytes>`;
    case "array": {
      const items = node.items.slice(0, limits.maxItems).map((i) => msgpackToJson(i, limits));
      if (node.items.length > limits.maxItems) items.push(`… ${node.items.length - limits.maxItems} more`);
      return items;
    }
    case "map": {
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of node.entries.slice(0, limits.maxItems)) out[msgpackKey(k)] = msgpackToJson(v, limits);
      if (node.entries.length > limits.maxItems) out["…"] = `${node.entries.length - limits.maxItems} more`;
      return out;
    }
  }
}

function msgpackKey(k: MsgpackNode): string {
  if (k.kind === "str") return k.value;
  if (k.kind === "int") return k.value.toString();
  if (k.kind === "float" || k.kind === "bool") return String(k.value);
  return k.kind;
}

function jsonText(value: JsonValue, limits: LiteralViewLimits): string {
  return cut(JSON.stringify(value, null, 2) ?? "null", limits.maxText);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

function columnsDetail(names: string[]): string {
  if (names.length === 0) return "";
  const shown = names.slice(0, 8).join(", ");
  return names.length > 8 ? `columns: ${shown}, … (${names.length} in all)` : `columns: ${shown}`;
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

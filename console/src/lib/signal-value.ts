import { create } from "@bufbuild/protobuf";
import { type Literal, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { type LiteralType, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";

/** The input a gate's signal needs, from its literal type: what the page's form draws. */
export type SignalInput = "bool" | "int" | "float" | "str" | "datetime" | "duration" | "unsupported";

export function signalInput(t: LiteralType | undefined): SignalInput {
  if (t?.type.case !== "simple") return "unsupported";
  switch (t.type.value) {
    case SimpleType.BOOLEAN:
      return "bool";
    case SimpleType.INTEGER:
      return "int";
    case SimpleType.FLOAT:
      return "float";
    case SimpleType.STRING:
      return "str";
    case SimpleType.DATETIME:
      return "datetime";
    case SimpleType.DURATION:
      return "duration";
    default:
      return "unsupported";
  }
}

/** Longest text a signal value may carry from the form (the server bounds it too). */
const MAX_TEXT = 100_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The literal for what the user typed, or the reason it is not a value of that type. */
export function signalLiteral(kind: SignalInput, text: string): Literal | string {
  const prim = (value: Record<string, unknown>) => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value } as never } } } });
  const t = text.trim();
  switch (kind) {
    case "bool":
      if (t === "true" || t === "false") return prim({ case: "boolean", value: t === "true" });
      return "choose true or false";
    case "int": {
      if (!/^[+-]?\d{1,19}$/.test(t)) return "enter a whole number";
      const v = BigInt(t);
      if (v < INT64_MIN || v > INT64_MAX) return "the number does not fit in 64 bits";
      return prim({ case: "integer", value: v });
    }
    case "float": {
      const v = Number(t);
      if (t === "" || Number.isNaN(v)) return "enter a number";
      return prim({ case: "floatValue", value: v });
    }
    case "str":
      if (text.length > MAX_TEXT) return `at most ${MAX_TEXT} characters`;
      return prim({ case: "stringValue", value: text });
    case "datetime": {
      const ms = Date.parse(t);
      if (t === "" || Number.isNaN(ms)) return "enter a date and time, e.g. 2026-01-31T12:00:00Z";
      return prim({ case: "datetime", value: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1e6 } });
    }
    case "duration": {
      const m = /^(\d{1,12})(\.\d{1,9})?s?$/.exec(t);
      if (!m) return "enter seconds, e.g. 90 or 1.5";
      const nanos = m[2] ? Number(m[2].slice(1).padEnd(9, "0")) : 0;
      return prim({ case: "duration", value: { seconds: BigInt(m[1]!), nanos } });
    }
    default:
      return "this signal's type cannot be entered here; use flytectl or the API";
  }
}

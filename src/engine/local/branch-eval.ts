/**
 * Branch evaluation (engine-spec §5.1; propeller's branch/evaluator.go and
 * comparator.go): which then-node of an IfElseBlock a branch node takes,
 * given the branch node's resolved inputs. Pure. Error codes and texts follow
 * propeller's, because they become the branch node's error that users read.
 */
import type { BooleanExpression, ComparisonExpression, Operand } from "../../../gen/flyteidl/core/condition_pb.js";
import { ComparisonExpression_Operator as Op, ConjunctionExpression_LogicalOperator as Logical } from "../../../gen/flyteidl/core/condition_pb.js";
import type { ExecutionError } from "../../../gen/flyteidl/core/execution_pb.js";
import type { Literal, LiteralMap, Primitive, Scalar } from "../../../gen/flyteidl/core/literals_pb.js";
import type { IfElseBlock } from "../../../gen/flyteidl/core/workflow_pb.js";
import { ErrorKind, executionError } from "./execution-error.js";

export const MALFORMED_BRANCH = "MalformedBranchUserError";
export const USER_PROVIDED_ERROR = "UserProvidedError";
export const ILLEGAL_STATE_ERROR = "IllegalStateError";

/** Conjunctions nested deeper than this are refused (a hostile spec must not exhaust the stack). */
export const MAX_CONDITION_DEPTH = 64;
/** Unions inside unions are unwrapped at most this many times. */
const MAX_UNION_DEPTH = 8;

/** What a branch node decided: the spec id of the node it takes, or the error it fails with. */
export type BranchDecision = { taken: string } | { error: ExecutionError };

/** An evaluation failure; with a code it prints as flytestdlib's coded errors do (`[code] message`). */
class EvalError extends Error {
  constructor(
    readonly code: string | undefined,
    readonly detail: string,
  ) {
    super(code === undefined ? detail : `[${code}] ${detail}`);
  }
}

const malformed = (detail: string) => new EvalError(MALFORMED_BRANCH, detail);

type PrimitiveCase = NonNullable<Primitive["value"]["case"]>;

/** Go's reflect type names of the primitive cases, as propeller prints them in errors. */
const GO_TYPE: Record<PrimitiveCase, string> = {
  integer: "*core.Primitive_Integer",
  floatValue: "*core.Primitive_FloatValue",
  stringValue: "*core.Primitive_StringValue",
  boolean: "*core.Primitive_Boolean",
  datetime: "*core.Primitive_Datetime",
  duration: "*core.Primitive_Duration",
};
const goType = (p: Primitive) => (p.value.case ? GO_TYPE[p.value.case] : "<nil>");

const utf8 = new TextEncoder();

/** -1, 0 or 1: how `l` orders against `r` (both of the same case). Strings compare byte-wise, times on whole seconds. */
function order(l: Primitive, r: Primitive): number {
  const lv = l.value;
  const rv = r.value;
  const sign = (a: bigint | number) => (a > 0 ? 1 : a < 0 ? -1 : 0);
  switch (lv.case) {
    case "integer":
      return sign((lv.value as bigint) - (rv.value as bigint));
    case "floatValue": {
      const a = lv.value;
      const b = rv.value as number;
      // NaN is neither greater nor equal: it orders as "less", as Go's comparisons make it.
      return a > b ? 1 : a === b ? 0 : -1;
    }
    case "stringValue":
      return Buffer.compare(utf8.encode(lv.value), utf8.encode(rv.value as string));
    case "datetime":
    case "duration": {
      const a = lv.value.seconds;
      const b = (rv.value as typeof lv.value | undefined)?.seconds ?? 0n;
      return sign(a - b);
    }
    default:
      return 0;
  }
}

/** propeller's Evaluate: two primitives of the same type under an operator. */
function comparePrimitives(l: Primitive, r: Primitive, op: Op): boolean {
  if (l.value.case !== r.value.case) {
    throw malformed(`Comparison between different primitives types. lVal[${goType(l)}]:rVal[${goType(r)}]`);
  }
  if (!l.value.case) throw new EvalError(undefined, `comparator not defined for type: [${goType(l)}]`);
  const isBoolean = l.value.case === "boolean";
  const eq = () => (isBoolean ? l.value.value === r.value.value : order(l, r) === 0);
  const gt = () => order(l, r) > 0;
  const notForBoolean = (name: string) => {
    if (isBoolean) throw malformed(`[${name}] not defined for boolean operands.`);
  };
  switch (op) {
    case Op.GT:
      notForBoolean("GT");
      return gt();
    case Op.GTE:
      notForBoolean("GTE");
      return eq() || gt();
    case Op.LT:
      notForBoolean("LT");
      return !(gt() || eq());
    case Op.LTE:
      notForBoolean("LTE");
      return !gt();
    case Op.EQ:
      return eq();
    case Op.NEQ:
      return !eq();
    default:
      throw malformed("Unsupported operator type in Propeller. System error.");
  }
}

/** The scalar a literal holds, looking through unions (flytekit wraps Optional values in one). */
function scalarOf(l: Literal): Scalar | undefined {
  let scalar = l.value.case === "scalar" ? l.value.value : undefined;
  for (let i = 0; i < MAX_UNION_DEPTH && scalar?.value.case === "union"; i++) {
    const inner = scalar.value.value.value;
    scalar = inner?.value.case === "scalar" ? inner.value.value : undefined;
  }
  return scalar;
}

/** One side of a comparison once resolved. */
type Side = { primitive: Primitive } | { literal: Literal } | { none: true } | { scalar: Scalar };

function resolveOperand(operand: Operand | undefined, inputs: LiteralMap | undefined, missingName: string): Side {
  const val = operand?.val;
  if (val?.case === "primitive") return { primitive: val.value };
  // [LOCAL] propeller 1.16.8 treats a scalar operand as a variable named "" (never found); flytekit's is_none() emits one.
  if (val?.case === "scalar") {
    if (val.value.value.case === "noneType") return { none: true };
    if (val.value.value.case === "primitive") return { primitive: val.value.value.value };
    return { scalar: val.value };
  }
  const name = val?.case === "var" ? val.value : "";
  const literal = inputs && Object.hasOwn(inputs.literals, name) ? inputs.literals[name] : undefined;
  if (!literal) throw malformed(`Failed to find Value for Variable [${inputs ? name : missingName}]`);
  return { literal };
}

const isNone = (side: Side): boolean =>
  "none" in side || ("literal" in side && scalarOf(side.literal)?.value.case === "noneType") || ("scalar" in side && side.scalar.value.case === "noneType");

/** The primitive of one side, or propeller's "Only primitives" error naming the side. */
function primitiveOf(side: Side, which: "LHS" | "RHS", period: boolean): Primitive {
  if ("primitive" in side) return side.primitive;
  const scalar = "literal" in side ? scalarOf(side.literal) : "scalar" in side ? side.scalar : undefined;
  if (scalar?.value.case === "primitive") return scalar.value.value;
  throw malformed(`Only primitives can be compared. ${which} Variable is non primitive${period ? "." : ""}`);
}

function evaluateComparison(expr: ComparisonExpression, inputs: LiteralMap | undefined): boolean {
  const leftName = expr.leftValue?.val.case === "var" ? expr.leftValue.val.value : "";
  const left = resolveOperand(expr.leftValue, inputs, leftName);
  // propeller names the left variable when there are no inputs at all, whichever side is missing.
  const right = resolveOperand(expr.rightValue, inputs, leftName);

  if ("none" in left || "none" in right) {
    // [LOCAL] is_none(): only (in)equality with none is defined.
    if (expr.operator === Op.EQ) return isNone(left) && isNone(right);
    if (expr.operator === Op.NEQ) return !(isNone(left) && isNone(right));
    throw malformed(`[${Op[expr.operator] ?? expr.operator}] not defined for none operands.`);
  }
  // propeller's message differs by one period between the combinations (EvaluateLiterals, Evaluate1, Evaluate2).
  const bothLiterals = !("primitive" in left) && !("primitive" in right);
  const l = primitiveOf(left, "LHS", true);
  const r = primitiveOf(right, "RHS", !bothLiterals);
  return comparePrimitives(l, r, expr.operator);
}

function evaluateExpression(expr: BooleanExpression | undefined, inputs: LiteralMap | undefined, depth: number): boolean {
  if (depth > MAX_CONDITION_DEPTH) throw malformed(`Branch condition is nested deeper than ${MAX_CONDITION_DEPTH} levels.`);
  const e = expr?.expr;
  if (e?.case === "comparison") return evaluateComparison(e.value, inputs);
  if (e?.case !== "conjunction") throw malformed("No Comparison or Conjunction found in Branch node expression.");
  // Both sides are always evaluated, so an error on the right surfaces even when the left decides.
  const l = evaluateExpression(e.value.leftExpression, inputs, depth + 1);
  const r = evaluateExpression(e.value.rightExpression, inputs, depth + 1);
  return e.value.operator === Logical.OR ? l || r : l && r;
}

function decide(ifElse: IfElseBlock | undefined, inputs: LiteralMap | undefined): string {
  if (!ifElse?.case) throw malformed("Branch node has no if block.");
  // Conditions after the first true one are not evaluated (their errors never surface).
  for (const block of [ifElse.case, ...ifElse.other]) {
    if (!evaluateExpression(block.condition, inputs, 0)) continue;
    if (!block.thenNode) throw malformed("Branch block has no then node.");
    return block.thenNode.id;
  }
  if (ifElse.default.case === "elseNode") return ifElse.default.value.id;
  if (ifElse.default.case === "error") throw new EvalError(USER_PROVIDED_ERROR, ifElse.default.value.message);
  throw malformed("No branch satisfied");
}

/**
 * Decides a branch (propeller's DecideBranch with the branch handler's error
 * mapping): malformed branches and `else_fail` are USER errors with their own
 * code, anything else a SYSTEM IllegalStateError.
 */
export function evaluateBranch(ifElse: IfElseBlock | undefined, inputs: LiteralMap | undefined): BranchDecision {
  try {
    return { taken: decide(ifElse, inputs) };
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    if (e.code === MALFORMED_BRANCH || e.code === USER_PROVIDED_ERROR) return { error: executionError(ErrorKind.USER, e.code, e.message) };
    return { error: executionError(ErrorKind.SYSTEM, ILLEGAL_STATE_ERROR, `Branch evaluation failed. Error [${e.message}]`) };
  }
}

/** Every node a branch may take, by spec id: the then-nodes of its if and else-if blocks and its else node. */
export function branchNodesOf(ifElse: IfElseBlock | undefined) {
  const nodes = [ifElse?.case?.thenNode, ...(ifElse?.other ?? []).map((b) => b.thenNode), ifElse?.default.case === "elseNode" ? ifElse.default.value : undefined];
  return nodes.filter((n) => n !== undefined);
}

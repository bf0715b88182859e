import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type BooleanExpression,
  BooleanExpressionSchema,
  ComparisonExpression_Operator as Op,
  ConjunctionExpression_LogicalOperator as Logical,
  type Operand,
  OperandSchema,
} from "../../../gen/flyteidl/core/condition_pb.js";
import { ExecutionError_ErrorKind as Kind } from "../../../gen/flyteidl/core/execution_pb.js";
import { type Literal, LiteralMapSchema, LiteralSchema, type PrimitiveSchema, type ScalarSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { type IfElseBlock, IfElseBlockSchema, NodeSchema } from "../../../gen/flyteidl/core/workflow_pb.js";
import { branchNodesOf, evaluateBranch, MAX_CONDITION_DEPTH } from "../../../src/engine/local/branch-eval.js";

type PrimInit = MessageInitShape<typeof PrimitiveSchema>["value"];

const p = {
  int: (v: number | bigint): PrimInit => ({ case: "integer", value: BigInt(v) }),
  float: (v: number): PrimInit => ({ case: "floatValue", value: v }),
  str: (v: string): PrimInit => ({ case: "stringValue", value: v }),
  bool: (v: boolean): PrimInit => ({ case: "boolean", value: v }),
  time: (seconds: number, nanos = 0): PrimInit => ({ case: "datetime", value: { seconds: BigInt(seconds), nanos } }),
  dur: (seconds: number, nanos = 0): PrimInit => ({ case: "duration", value: { seconds: BigInt(seconds), nanos } }),
  empty: (): PrimInit => ({ case: undefined }),
};

const scalarLit = (value: MessageInitShape<typeof ScalarSchema>["value"]): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value } } });
const primLit = (v: PrimInit): Literal => scalarLit({ case: "primitive", value: { value: v } });
const noneLit = (): Literal => scalarLit({ case: "noneType", value: {} });
/** An Optional value as flytekit writes it: a union holding the value, typed by a tag. */
const union = (inner: Literal, tag: string): Literal =>
  scalarLit({ case: "union", value: { value: inner, type: { type: { case: "simple", value: tag === "none" ? SimpleType.NONE : SimpleType.INTEGER }, structure: { tag } } } });
const listLit = (...ls: Literal[]): Literal => create(LiteralSchema, { value: { case: "collection", value: { literals: ls } } });

const v = (name: string): Operand => create(OperandSchema, { val: { case: "var", value: name } });
const c = (value: PrimInit): Operand => create(OperandSchema, { val: { case: "primitive", value: { value } } });
const noneOperand = (): Operand => create(OperandSchema, { val: { case: "scalar", value: { value: { case: "noneType", value: {} } } } });

const cmp = (left: Operand | undefined, operator: Op, right: Operand | undefined): BooleanExpression =>
  create(BooleanExpressionSchema, { expr: { case: "comparison", value: { operator, leftValue: left, rightValue: right } } });
const conj = (left: BooleanExpression, operator: Logical, right: BooleanExpression): BooleanExpression =>
  create(BooleanExpressionSchema, { expr: { case: "conjunction", value: { operator, leftExpression: left, rightExpression: right } } });

const node = (id: string) => create(NodeSchema, { id });

/** if cond then b-then, else b-else (or else_fail "no way"). */
function ifElse(cond: BooleanExpression, opts: { elifs?: BooleanExpression[]; elseFail?: string; noElse?: boolean } = {}): IfElseBlock {
  return create(IfElseBlockSchema, {
    case: { condition: cond, thenNode: node("b-then") },
    other: (opts.elifs ?? []).map((condition, i) => ({ condition, thenNode: node(`b-elif${i}`) })),
    default: opts.noElse
      ? { case: undefined }
      : opts.elseFail !== undefined
        ? { case: "error", value: { failedNodeId: "b", message: opts.elseFail } }
        : { case: "elseNode", value: node("b-else") },
  });
}

const inputsOf = (m: Record<string, Literal>) => create(LiteralMapSchema, { literals: m });

/** true/false for the condition alone (then vs else), or the error's text. */
function evalCond(cond: BooleanExpression, inputs: Record<string, Literal> | null = {}) {
  const d = evaluateBranch(ifElse(cond), inputs ? inputsOf(inputs) : undefined);
  if ("error" in d) return { kind: Kind[d.error.kind], code: d.error.code, message: d.error.message };
  return d.taken === "b-then";
}

const malformed = (message: string) => ({ kind: "USER", code: "MalformedBranchUserError", message: `[MalformedBranchUserError] ${message}` });

describe("comparisons per primitive type (propeller's comparator)", () => {
  const rows: Array<[string, PrimInit, Op, PrimInit, boolean]> = [
    ["int GT", p.int(5), Op.GT, p.int(3), true],
    ["int GT equal", p.int(3), Op.GT, p.int(3), false],
    ["int GTE equal", p.int(3), Op.GTE, p.int(3), true],
    ["int GTE less", p.int(2), Op.GTE, p.int(3), false],
    ["int LT", p.int(-1), Op.LT, p.int(0), true],
    ["int LT equal", p.int(0), Op.LT, p.int(0), false],
    ["int LTE equal", p.int(0), Op.LTE, p.int(0), true],
    ["int LTE greater", p.int(1), Op.LTE, p.int(0), false],
    ["int EQ", p.int(7), Op.EQ, p.int(7), true],
    ["int NEQ", p.int(7), Op.NEQ, p.int(7), false],
    ["int64 extremes", p.int(9223372036854775807n), Op.GT, p.int(9223372036854775806n), true],
    ["int64 negative extremes", p.int(-9223372036854775808n), Op.LT, p.int(-9223372036854775807n), true],
    ["float GT", p.float(2.5), Op.GT, p.float(1.5), true],
    ["float EQ", p.float(0.1 + 0.2), Op.EQ, p.float(0.3), false],
    ["float LTE", p.float(-0.5), Op.LTE, p.float(-0.5), true],
    // NaN is neither greater nor equal, so LT (= not GT and not EQ) holds, as in Go.
    ["float NaN GT", p.float(NaN), Op.GT, p.float(1), false],
    ["float NaN EQ", p.float(NaN), Op.EQ, p.float(NaN), false],
    ["float NaN LT", p.float(NaN), Op.LT, p.float(1), true],
    ["float NaN NEQ", p.float(NaN), Op.NEQ, p.float(NaN), true],
    ["string GT", p.str("b"), Op.GT, p.str("a"), true],
    ["string prefix LT", p.str("ab"), Op.LT, p.str("abc"), true],
    ["string EQ", p.str("x"), Op.EQ, p.str("x"), true],
    ["string case", p.str("Z"), Op.LT, p.str("a"), true],
    // Byte-wise (UTF-8), not UTF-16 code units: U+1F600 (F0..) sorts after U+FFFF (EF..).
    ["string byte-wise beyond the BMP", p.str("\u{1F600}"), Op.GT, p.str("\uFFFF"), true],
    ["string empty", p.str(""), Op.LT, p.str("a"), true],
    ["datetime GT", p.time(100), Op.GT, p.time(99, 999_999_999), true],
    ["datetime nanos ignored (EQ)", p.time(100, 1), Op.EQ, p.time(100, 999), true],
    ["datetime nanos ignored (GT)", p.time(100, 999), Op.GT, p.time(100, 1), false],
    ["datetime LT", p.time(-5), Op.LT, p.time(5), true],
    ["duration GTE", p.dur(60), Op.GTE, p.dur(60, 5), true],
    ["duration NEQ", p.dur(60), Op.NEQ, p.dur(61), true],
    ["duration LT", p.dur(1, 999_999_999), Op.LT, p.dur(2), true],
    ["bool EQ", p.bool(true), Op.EQ, p.bool(true), true],
    ["bool EQ false", p.bool(true), Op.EQ, p.bool(false), false],
    ["bool NEQ", p.bool(false), Op.NEQ, p.bool(true), true],
  ];
  it.each(rows)("%s", (_name, l, op, r, expected) => {
    // The same comparison through every operand combination propeller has (literal/primitive on each side).
    expect(evalCond(cmp(c(l), op, c(r)))).toBe(expected);
    expect(evalCond(cmp(v(".a"), op, c(r)), { ".a": primLit(l) })).toBe(expected);
    expect(evalCond(cmp(c(l), op, v(".b")), { ".b": primLit(r) })).toBe(expected);
    expect(evalCond(cmp(v(".a"), op, v(".b")), { ".a": primLit(l), ".b": primLit(r) })).toBe(expected);
  });

  it.each([Op.GT, Op.GTE, Op.LT, Op.LTE])("refuses %s on booleans", (op) => {
    expect(evalCond(cmp(c(p.bool(true)), op, c(p.bool(false))))).toEqual(malformed(`[${Op[op]}] not defined for boolean operands.`));
  });

  it("refuses comparing different primitive types, naming both (Go's type names)", () => {
    expect(evalCond(cmp(v(".x"), Op.GT, c(p.float(0))), { ".x": primLit(p.int(1)) })).toEqual(
      malformed("Comparison between different primitives types. lVal[*core.Primitive_Integer]:rVal[*core.Primitive_FloatValue]"),
    );
    expect(evalCond(cmp(c(p.str("1")), Op.EQ, c(p.time(1))))).toEqual(
      malformed("Comparison between different primitives types. lVal[*core.Primitive_StringValue]:rVal[*core.Primitive_Datetime]"),
    );
    expect(evalCond(cmp(c(p.dur(1)), Op.EQ, c(p.bool(true))))).toEqual(
      malformed("Comparison between different primitives types. lVal[*core.Primitive_Duration]:rVal[*core.Primitive_Boolean]"),
    );
    expect(evalCond(cmp(c(p.empty()), Op.EQ, c(p.int(1))))).toEqual(malformed("Comparison between different primitives types. lVal[<nil>]:rVal[*core.Primitive_Integer]"));
  });

  it("fails two empty primitives as an illegal state (no comparator), not a crash", () => {
    expect(evalCond(cmp(c(p.empty()), Op.EQ, c(p.empty())))).toEqual({
      kind: "SYSTEM",
      code: "IllegalStateError",
      message: "Branch evaluation failed. Error [comparator not defined for type: [<nil>]]",
    });
  });

  it("refuses an operator it does not know", () => {
    expect(evalCond(cmp(c(p.int(1)), 42 as Op, c(p.int(1))))).toEqual(malformed("Unsupported operator type in Propeller. System error."));
  });
});

describe("operands", () => {
  it("fails a variable missing from the inputs, naming it", () => {
    expect(evalCond(cmp(v(".x"), Op.GT, c(p.int(0))), { ".y": primLit(p.int(1)) })).toEqual(malformed("Failed to find Value for Variable [.x]"));
    expect(evalCond(cmp(v(".x"), Op.GT, v(".y")), { ".x": primLit(p.int(1)) })).toEqual(malformed("Failed to find Value for Variable [.y]"));
  });

  it("without any inputs names the left variable whichever side is missing (propeller's message)", () => {
    expect(evalCond(cmp(c(p.int(1)), Op.GT, v(".y")), null)).toEqual(malformed("Failed to find Value for Variable []"));
    expect(evalCond(cmp(v(".x"), Op.GT, v(".y")), null)).toEqual(malformed("Failed to find Value for Variable [.x]"));
  });

  it("fails an operand that is not set", () => {
    expect(evalCond(cmp(undefined, Op.EQ, c(p.int(1))))).toEqual(malformed("Failed to find Value for Variable []"));
  });

  it("does not take inherited object properties for variables", () => {
    expect(evalCond(cmp(v("constructor"), Op.EQ, c(p.int(1))))).toEqual(malformed("Failed to find Value for Variable [constructor]"));
  });

  it("refuses non-primitive values, with propeller's text per side", () => {
    const list = listLit(primLit(p.int(1)));
    expect(evalCond(cmp(v(".l"), Op.EQ, c(p.int(1))), { ".l": list })).toEqual(malformed("Only primitives can be compared. LHS Variable is non primitive."));
    expect(evalCond(cmp(c(p.int(1)), Op.EQ, v(".l")), { ".l": list })).toEqual(malformed("Only primitives can be compared. RHS Variable is non primitive."));
    expect(evalCond(cmp(v(".x"), Op.EQ, v(".l")), { ".x": primLit(p.int(1)), ".l": list })).toEqual(malformed("Only primitives can be compared. RHS Variable is non primitive"));
    expect(evalCond(cmp(v(".l"), Op.EQ, v(".x")), { ".x": primLit(p.int(1)), ".l": list })).toEqual(malformed("Only primitives can be compared. LHS Variable is non primitive."));
    const blob = scalarLit({ case: "blob", value: { uri: "file:///x" } });
    expect(evalCond(cmp(v(".b"), Op.EQ, c(p.int(1))), { ".b": blob })).toEqual(malformed("Only primitives can be compared. LHS Variable is non primitive."));
    expect(evalCond(cmp(v(".e"), Op.EQ, c(p.int(1))), { ".e": create(LiteralSchema, {}) })).toEqual(malformed("Only primitives can be compared. LHS Variable is non primitive."));
  });

  it("compares the value inside a union (an Optional input as flytekit writes it)", () => {
    const inputs = { ".x": union(primLit(p.int(5)), "int") };
    expect(evalCond(cmp(v(".x"), Op.GT, c(p.int(0))), inputs)).toBe(true);
    expect(evalCond(cmp(v(".x"), Op.LT, c(p.int(0))), inputs)).toBe(false);
    expect(evalCond(cmp(v(".x"), Op.EQ, v(".y")), { ...inputs, ".y": primLit(p.int(5)) })).toBe(true);
    // A union holding none is not a primitive.
    expect(evalCond(cmp(v(".x"), Op.GT, c(p.int(0))), { ".x": union(noneLit(), "none") })).toEqual(malformed("Only primitives can be compared. LHS Variable is non primitive."));
  });

  describe("[LOCAL] none (flytekit's is_none(), a scalar operand)", () => {
    const isNone = (x: Literal, op = Op.EQ) => evalCond(cmp(v(".x"), op, noneOperand()), { ".x": x });
    it.each([
      ["a union holding none", union(noneLit(), "none"), true],
      ["a bare none", noneLit(), true],
      ["a union holding an int", union(primLit(p.int(0)), "int"), false],
      ["a plain int", primLit(p.int(0)), false],
      ["a string", primLit(p.str("")), false],
      ["a list", listLit(), false],
    ] as const)("EQ none on %s is %s, NEQ the opposite", (_name, x, expected) => {
      expect(isNone(x)).toBe(expected);
      expect(isNone(x, Op.NEQ)).toBe(!expected);
    });
    it("works with none on the left and between two nones", () => {
      expect(evalCond(cmp(noneOperand(), Op.EQ, v(".x")), { ".x": union(noneLit(), "none") })).toBe(true);
      expect(evalCond(cmp(noneOperand(), Op.EQ, noneOperand()))).toBe(true);
      expect(evalCond(cmp(noneOperand(), Op.NEQ, c(p.int(1))))).toBe(true);
    });
    it.each([Op.GT, Op.GTE, Op.LT, Op.LTE])("refuses %s with none", (op) => {
      expect(isNone(noneLit(), op)).toEqual(malformed(`[${Op[op]}] not defined for none operands.`));
    });
    it("still needs the variable to exist", () => {
      expect(evalCond(cmp(v(".x"), Op.EQ, noneOperand()), {})).toEqual(malformed("Failed to find Value for Variable [.x]"));
    });
    it("treats a scalar primitive operand like a primitive one", () => {
      const scalarInt = create(OperandSchema, { val: { case: "scalar", value: { value: { case: "primitive", value: { value: p.int(3) } } } } });
      expect(evalCond(cmp(v(".x"), Op.GT, scalarInt), { ".x": primLit(p.int(4)) })).toBe(true);
    });
  });
});

describe("conjunctions", () => {
  const T = cmp(c(p.int(1)), Op.EQ, c(p.int(1)));
  const F = cmp(c(p.int(1)), Op.EQ, c(p.int(2)));
  const broken = cmp(v(".missing"), Op.EQ, c(p.int(1)));
  it.each([
    ["T AND T", conj(T, Logical.AND, T), true],
    ["T AND F", conj(T, Logical.AND, F), false],
    ["F AND T", conj(F, Logical.AND, T), false],
    ["F OR T", conj(F, Logical.OR, T), true],
    ["F OR F", conj(F, Logical.OR, F), false],
    ["T OR F", conj(T, Logical.OR, F), true],
    ["(F OR T) AND (T AND T)", conj(conj(F, Logical.OR, T), Logical.AND, conj(T, Logical.AND, T)), true],
  ] as const)("%s", (_name, expr, expected) => {
    expect(evalCond(expr)).toBe(expected);
  });

  it("evaluates both sides: an error on the right fails even when the left decides", () => {
    expect(evalCond(conj(T, Logical.OR, broken))).toEqual(malformed("Failed to find Value for Variable [.missing]"));
    expect(evalCond(conj(F, Logical.AND, broken))).toEqual(malformed("Failed to find Value for Variable [.missing]"));
  });

  it("fails an expression with neither a comparison nor a conjunction", () => {
    expect(evalCond(create(BooleanExpressionSchema, {}))).toEqual(malformed("No Comparison or Conjunction found in Branch node expression."));
    expect(evalCond(conj(T, Logical.AND, create(BooleanExpressionSchema, {})))).toEqual(malformed("No Comparison or Conjunction found in Branch node expression."));
  });

  it(`accepts conjunctions nested ${MAX_CONDITION_DEPTH} deep and refuses deeper ones`, () => {
    const chain = (depth: number) => {
      let e = T;
      for (let i = 0; i < depth; i++) e = conj(T, Logical.AND, e);
      return e;
    };
    expect(evalCond(chain(MAX_CONDITION_DEPTH))).toBe(true);
    expect(evalCond(chain(MAX_CONDITION_DEPTH + 1))).toEqual(malformed(`Branch condition is nested deeper than ${MAX_CONDITION_DEPTH} levels.`));
    // Far deeper than the stack would bear if it were walked.
    expect(evalCond(chain(10_000))).toEqual(malformed(`Branch condition is nested deeper than ${MAX_CONDITION_DEPTH} levels.`));
  });
});

describe("deciding a branch", () => {
  const gt = (n: number) => cmp(v(".x"), Op.GT, c(p.int(n)));
  const lt = (n: number) => cmp(v(".x"), Op.LT, c(p.int(n)));
  const broken = cmp(v(".missing"), Op.EQ, c(p.int(1)));
  const decide = (block: IfElseBlock, x: number) => evaluateBranch(block, inputsOf({ ".x": primLit(p.int(x)) }));

  it("takes the first true block in order, else the else node", () => {
    const block = ifElse(gt(0), { elifs: [lt(0), lt(-10)] });
    expect(decide(block, 5)).toEqual({ taken: "b-then" });
    expect(decide(block, -1)).toEqual({ taken: "b-elif0" });
    // -20 < -10 too, but the earlier else-if wins.
    expect(decide(block, -20)).toEqual({ taken: "b-elif0" });
    expect(decide(block, 0)).toEqual({ taken: "b-else" });
  });

  it("does not evaluate conditions after the one that was true", () => {
    const block = ifElse(gt(0), { elifs: [broken] });
    expect(decide(block, 1)).toEqual({ taken: "b-then" });
    expect("error" in decide(block, -1)).toBe(true);
  });

  it("fails a malformed earlier condition even when the else node could run", () => {
    const d = decide(ifElse(broken), 1);
    expect(d).toEqual({ error: expect.objectContaining({ kind: Kind.USER, code: "MalformedBranchUserError" }) });
  });

  it("fails with the user's message when no case matches and else_fail is set", () => {
    const d = decide(ifElse(gt(0), { elseFail: "x must be positive" }), -3);
    expect(d).toEqual({ error: expect.objectContaining({ kind: Kind.USER, code: "UserProvidedError", message: "[UserProvidedError] x must be positive" }) });
    expect(decide(ifElse(gt(0), { elseFail: "" }), -3)).toEqual({ error: expect.objectContaining({ code: "UserProvidedError", message: "[UserProvidedError] " }) });
  });

  it("fails as malformed when no case matches and there is no else", () => {
    const d = decide(ifElse(gt(0), { noElse: true }), -3);
    expect(d).toEqual({ error: expect.objectContaining({ kind: Kind.USER, code: "MalformedBranchUserError", message: "[MalformedBranchUserError] No branch satisfied" }) });
  });

  it("fails a branch without an if block or a then node clearly", () => {
    expect(evaluateBranch(undefined, inputsOf({}))).toEqual({ error: expect.objectContaining({ code: "MalformedBranchUserError", message: "[MalformedBranchUserError] Branch node has no if block." }) });
    const noThen = create(IfElseBlockSchema, { case: { condition: gt(0) } });
    expect(decide(noThen, 1)).toEqual({ error: expect.objectContaining({ message: "[MalformedBranchUserError] Branch block has no then node." }) });
  });

  it("lists every node the branch may take", () => {
    expect(branchNodesOf(ifElse(gt(0), { elifs: [lt(0)] })).map((n) => n.id)).toEqual(["b-then", "b-elif0", "b-else"]);
    expect(branchNodesOf(ifElse(gt(0), { elseFail: "no" })).map((n) => n.id)).toEqual(["b-then"]);
    expect(branchNodesOf(undefined)).toEqual([]);
  });
});

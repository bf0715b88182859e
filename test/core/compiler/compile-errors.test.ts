import { describe, expect, it } from "vitest";
import { CompilationFailed, formatCompileErrors, type CompileError } from "../../../src/core/compiler/index.js";

describe("formatCompileErrors", () => {
  it("renders FlyteAdmin's layout, numbered from 0", () => {
    const errors: CompileError[] = [
      { code: "ParameterNotBound", nodeId: "n1", description: "Parameter not bound [x]." },
      { code: "CycleDetected", nodeId: "start-node", description: "A cycle has been detected while traversing the Workflow [start-node>a>b>a]." },
    ];
    expect(formatCompileErrors(errors)).toBe(
      "Collected Errors: 2\n" +
        "\tError 0: Code: CycleDetected, Node Id: start-node, Description: A cycle has been detected while traversing the Workflow [start-node>a>b>a].\n" +
        "\tError 1: Code: ParameterNotBound, Node Id: n1, Description: Parameter not bound [x].\n",
    );
  });

  it("sorts by code then text and drops exact duplicates", () => {
    const e = (code: string, nodeId: string, description = "d"): CompileError => ({ code, nodeId, description });
    const text = formatCompileErrors([e("B", "n2"), e("A", "z"), e("B", "n1"), e("B", "n2")]);
    expect(text).toBe(
      "Collected Errors: 3\n" +
        "\tError 0: Code: A, Node Id: z, Description: d\n" +
        "\tError 1: Code: B, Node Id: n1, Description: d\n" +
        "\tError 2: Code: B, Node Id: n2, Description: d\n",
    );
  });

  it("formats an empty list", () => {
    expect(formatCompileErrors([])).toBe("Collected Errors: 0\n");
  });

  it("CompilationFailed carries the errors and the formatted message", () => {
    const err = new CompilationFailed([{ code: "DuplicateId", nodeId: "x", description: "Trying to insert two nodes with the same id." }]);
    expect(err.message).toBe("Collected Errors: 1\n\tError 0: Code: DuplicateId, Node Id: x, Description: Trying to insert two nodes with the same id.\n");
    expect(err.errors).toHaveLength(1);
  });
});

import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { WorkflowClosureSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { messageFieldBytes } from "../../src/core/proto-fields.js";

const compiled = create(CompiledWorkflowClosureSchema, { primary: { template: { id: { project: "p", domain: "d", name: "wf", version: "v1" } } } });

describe("messageFieldBytes", () => {
  it("gives the embedded message's bytes, as toBinary writes them, whatever comes around it", () => {
    const closure = create(WorkflowClosureSchema, { compiledWorkflow: compiled, createdAt: timestampFromDate(new Date(1_700_000_000_000)) });
    expect(messageFieldBytes(toBinary(WorkflowClosureSchema, closure), 1)).toEqual(toBinary(CompiledWorkflowClosureSchema, compiled));
    expect(messageFieldBytes(toBinary(WorkflowClosureSchema, closure), 2)).toBeDefined();
  });

  it("is undefined for an absent field, a repeated one, another wire type or bytes that do not parse", () => {
    expect(messageFieldBytes(toBinary(WorkflowClosureSchema, create(WorkflowClosureSchema)), 1)).toBeUndefined();
    const twice = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new Uint8Array([8, 1])).tag(1, WireType.LengthDelimited).bytes(new Uint8Array([8, 2])).finish();
    expect(messageFieldBytes(twice, 1)).toBeUndefined();
    const varint = new BinaryWriter().tag(1, WireType.Varint).int32(5).finish();
    expect(messageFieldBytes(varint, 1)).toBeUndefined();
    expect(messageFieldBytes(new Uint8Array([0x0a, 0x05, 0x01]), 1)).toBeUndefined();
  });
});

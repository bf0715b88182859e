/** Literals, templates and a temporary blob store for the copilot tests. */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clone, create, fromBinary, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { TaskSpecSchema } from "../../../gen/flyteidl/admin/task_pb.js";
import { type ErrorDocument, ErrorDocumentSchema } from "../../../gen/flyteidl/core/errors_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema, ScalarSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { DataLoadingConfig_LiteralMapFormat, type TaskTemplate, TaskTemplateSchema } from "../../../gen/flyteidl/core/tasks_pb.js";
import { BlobType_BlobDimensionality, type LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import { createLocalBlobStore, type LocalBlobStore } from "../../../src/blob/local-blob-store.js";
import { iface } from "../../fixtures/flyte-builders.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

/** A task template exactly as flytekit's `pyflyte package` serialised it (see py/copilot_fixture/tasks.py). */
export function fixtureTemplate(file: "0_echo_msg_1.pb" | "1_typed_io_1.pb"): TaskTemplate {
  const spec = fromBinary(TaskSpecSchema, readFileSync(join(FIXTURES, file)));
  if (!spec.template) throw new Error(`${file} has no template`);
  return spec.template;
}

/** A raw-container template like flytekit's ContainerTask, with the given interface. */
export function rawTemplate(o: {
  inputs?: Record<string, LiteralType>;
  outputs?: Record<string, LiteralType>;
  command?: string[];
  format?: DataLoadingConfig_LiteralMapFormat;
  inputPath?: string;
  outputPath?: string;
}): TaskTemplate {
  return create(TaskTemplateSchema, {
    type: "raw-container",
    interface: iface(o.inputs ?? {}, o.outputs ?? {}),
    target: {
      case: "container",
      value: {
        image: "alpine:3.19",
        command: o.command ?? ["sh", "-c", "true"],
        dataConfig: {
          enabled: true,
          inputPath: o.inputPath ?? "/var/inputs",
          outputPath: o.outputPath ?? "/var/outputs",
          format: o.format ?? DataLoadingConfig_LiteralMapFormat.JSON,
        },
      },
    },
  });
}

export function withCommand(t: TaskTemplate, command: string[]): TaskTemplate {
  const c = clone(TaskTemplateSchema, t);
  if (c.target.case !== "container") throw new Error("not a container task");
  c.target.value.command = command;
  return c;
}

// ---- literals ------------------------------------------------------------------
const scalar = (value: MessageInitShape<typeof ScalarSchema>["value"]): Literal => create(LiteralSchema, { value: { case: "scalar", value: { value } } });
export const L = {
  int: (v: bigint) => scalar({ case: "primitive", value: { value: { case: "integer", value: v } } }),
  float: (v: number) => scalar({ case: "primitive", value: { value: { case: "floatValue", value: v } } }),
  str: (v: string) => scalar({ case: "primitive", value: { value: { case: "stringValue", value: v } } }),
  bool: (v: boolean) => scalar({ case: "primitive", value: { value: { case: "boolean", value: v } } }),
  datetime: (seconds: bigint, nanos = 0) => scalar({ case: "primitive", value: { value: { case: "datetime", value: create(TimestampSchema, { seconds, nanos }) } } }),
  duration: (seconds: bigint, nanos = 0) => scalar({ case: "primitive", value: { value: { case: "duration", value: create(DurationSchema, { seconds, nanos }) } } }),
  blob: (uri: string, multipart = false) =>
    scalar({
      case: "blob",
      value: { uri, metadata: { type: { dimensionality: multipart ? BlobType_BlobDimensionality.MULTIPART : BlobType_BlobDimensionality.SINGLE } } },
    }),
  binary: (value: Uint8Array) => scalar({ case: "binary", value: { value, tag: "msgpack" } }),
  error: (message: string) => scalar({ case: "error", value: { message, failedNodeId: "n0" } }),
  generic: (value: JsonObject) => scalar({ case: "generic", value }),
  none: () => scalar({ case: "noneType", value: {} }),
  union: (value: Literal) => scalar({ case: "union", value: { value } }),
  list: (...literals: Literal[]) => create(LiteralSchema, { value: { case: "collection", value: { literals } } }),
  map: (literals: Record<string, Literal>) => create(LiteralSchema, { value: { case: "map", value: { literals } } }),
  offloaded: (uri: string) => create(LiteralSchema, { value: { case: "offloadedMetadata", value: { uri } } }),
};

export const literalMap = (literals: Record<string, Literal>): LiteralMap => create(LiteralMapSchema, { literals });

/** The value inside a scalar primitive literal, for short assertions. */
export function primitiveOf(l: Literal | undefined): unknown {
  if (l?.value.case !== "scalar" || l.value.value.value.case !== "primitive") return undefined;
  return l.value.value.value.value.value.value;
}

export function blobOf(l: Literal | undefined) {
  if (l?.value.case !== "scalar" || l.value.value.value.case !== "blob") return undefined;
  return l.value.value.value.value;
}

// ---- a store and an attempt ------------------------------------------------------
export interface Sandbox {
  root: string;
  blobs: LocalBlobStore;
  inputPath: string;
  outputPrefix: string;
  rawOutputPrefix: string;
  inDir: string;
  outDir: string;
  close(): Promise<void>;
  putInputs(m: LiteralMap): Promise<void>;
  outputs(): Promise<LiteralMap | undefined>;
  error(): Promise<ErrorDocument | undefined>;
}

export async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), "copilot-"));
  const blobs = createLocalBlobStore(join(root, "blobs"));
  const dataDir = "metadata/propeller/flytesnacks-development-abc123/n0/data";
  const attempt = join(root, "runs/flytesnacks/development/abc123/n0/0");
  return {
    root,
    blobs,
    inputPath: blobs.uri(`${dataDir}/inputs.pb`),
    outputPrefix: blobs.uri(`${dataDir}/0`),
    rawOutputPrefix: blobs.uri("data/0l/abc123-n0-0"),
    inDir: join(attempt, "in"),
    outDir: join(attempt, "out"),
    close: () => rm(root, { recursive: true, force: true }),
    putInputs: (m) => blobs.putMessage(`${dataDir}/inputs.pb`, LiteralMapSchema, m),
    outputs: () => blobs.getMessage(`${dataDir}/0/outputs.pb`, LiteralMapSchema),
    error: () => blobs.getMessage(`${dataDir}/0/error.pb`, ErrorDocumentSchema),
  };
}

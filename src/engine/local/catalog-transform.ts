/**
 * What flytepropeller's DataCatalog client writes and reads
 * (nodes/catalog/datacatalog/transformer.go): the dataset id of a key, the
 * metadata naming the task execution that wrote an artifact, the outputs an
 * artifact answers for a task, and the CatalogMetadata events report. The
 * engine writes and reads its cache entries through these, so an entry is
 * the same whoever wrote it.
 */
import { create } from "@bufbuild/protobuf";
import { type CatalogMetadata, CatalogMetadataSchema } from "../../../gen/flyteidl/core/catalog_pb.js";
import { type Identifier, ResourceType, type TaskExecutionIdentifier, TaskExecutionIdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TypedInterface } from "../../../gen/flyteidl/core/interface_pb.js";
import { type Artifact, type DatasetID, DatasetIDSchema, type Metadata, MetadataSchema, type Tag } from "../../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { isCastable, literalTypeOf, literalTypeText } from "../../core/compiler/index.js";
import type { CatalogKey } from "./cache-key.js";

// The metadata keys propeller writes (and reads back, with these defaults when absent).
const TASK_VERSION = "task-version";
const EXEC_NAME = "execution-name";
const EXEC_DOMAIN = "exec-domain";
const EXEC_PROJECT = "exec-project";
const EXEC_NODE = "exec-node";
const EXEC_ATTEMPT = "exec-attempt";

/** The dataset of a key (no UUID: datasets are found by their four fields). */
export const datasetIdOf = (key: CatalogKey): DatasetID =>
  create(DatasetIDSchema, { project: key.project, domain: key.domain, name: key.datasetName, version: key.datasetVersion });

/** `CatalogMetadata.dataset_id`: the dataset as an identifier of resource type DATASET. */
export const datasetIdentifier = (id: Pick<DatasetID, "project" | "domain" | "name" | "version">): Identifier => ({
  $typeName: "flyteidl.core.Identifier",
  resourceType: ResourceType.DATASET,
  project: id.project,
  domain: id.domain,
  name: id.name,
  version: id.version,
  org: "",
});

/** GetDatasetMetadataForSource: a dataset remembers the version of the task that created it. */
export const datasetMetadataFor = (source: TaskExecutionIdentifier): Metadata =>
  create(MetadataSchema, { keyMap: { [TASK_VERSION]: source.taskId?.version ?? "" } });

/** GetArtifactMetadataForSource: an artifact remembers the task execution that wrote it. */
export function artifactMetadataFor(source: TaskExecutionIdentifier): Metadata {
  const exec = source.nodeExecutionId?.executionId;
  return create(MetadataSchema, {
    keyMap: {
      [EXEC_PROJECT]: exec?.project ?? "",
      [EXEC_DOMAIN]: exec?.domain ?? "",
      [EXEC_NAME]: exec?.name ?? "",
      [EXEC_NODE]: source.nodeExecutionId?.nodeId ?? "",
      [EXEC_ATTEMPT]: String(source.retryAttempt),
    },
  });
}

/**
 * GetSourceFromMetadata: the task execution an artifact came from, as the
 * current task (the dataset's task version) sees it; "unknown" where
 * metadata is missing. Throws on an attempt that is not a uint32.
 */
export function sourceFromMetadata(datasetMd: Metadata | undefined, artifactMd: Metadata | undefined, current: Identifier): TaskExecutionIdentifier {
  const ds = datasetMd?.keyMap ?? {};
  const art = artifactMd?.keyMap ?? {};
  const attemptText = art[EXEC_ATTEMPT] ?? "0";
  if (!/^\d{1,10}$/.test(attemptText) || Number(attemptText) > 0xffffffff) throw new Error(`failed to parse [${attemptText}] to integer`);
  return create(TaskExecutionIdentifierSchema, {
    taskId: { resourceType: current.resourceType, project: current.project, domain: current.domain, name: current.name, version: ds[TASK_VERSION] ?? "unknown" },
    retryAttempt: Number(attemptText),
    nodeExecutionId: {
      nodeId: art[EXEC_NODE] ?? "unknown",
      executionId: { project: art[EXEC_PROJECT] ?? current.project, domain: art[EXEC_DOMAIN] ?? current.domain, name: art[EXEC_NAME] ?? "unknown" },
    },
  });
}

/** EventCatalogMetadata: what a node event reports of a cache entry. */
export function eventCatalogMetadata(dataset: DatasetID, tag: Pick<Tag, "name" | "artifactId"> | undefined, source: TaskExecutionIdentifier | undefined): CatalogMetadata {
  return create(CatalogMetadataSchema, {
    datasetId: datasetIdentifier(dataset),
    ...(tag ? { artifactTag: { artifactId: tag.artifactId, name: tag.name } } : {}),
    ...(source ? { sourceExecution: { case: "sourceTaskExecution", value: source } } : {}),
  });
}

/**
 * GenerateTaskOutputsFromArtifact: the artifact's data as the task's
 * outputs, or why it cannot be (a datum per declared output, each castable
 * to its type).
 */
export function outputsFromArtifact(iface: TypedInterface | undefined, artifact: Artifact): LiteralMap | string {
  const declared = iface?.outputs?.variables ?? {};
  const names = Object.keys(declared);
  if (names.length === 0) return create(LiteralMapSchema);
  if (names.length !== artifact.data.length) return `the task has ${names.length} outputs and artifact ${artifact.id} ${artifact.data.length} artifactData`;
  const literals: Record<string, Literal> = {};
  for (const d of artifact.data) {
    const variable = declared[d.name];
    if (!variable) return `artifactData [${d.name}] is none of the task's outputs [${names.sort().join(", ")}]`;
    const type = d.value && literalTypeOf(d.value);
    if (!d.value || !type) return `artifactData [${d.name}] holds no literal of a known type`;
    if (variable.type && !isCastable(type, variable.type)) return `artifactData [${d.name}] of type [${literalTypeText(type)}] does not match the output's type [${literalTypeText(variable.type)}]`;
    literals[d.name] = d.value;
  }
  return create(LiteralMapSchema, { literals });
}

import type { JsonObject } from "@bufbuild/protobuf";
import type { TaskSpec } from "../../gen/flyteidl/admin/task_pb.js";
import type { TaskResourceSpec } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import type { Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { type TaskTemplate, Resources_ResourceName as Name } from "../../gen/flyteidl/core/tasks_pb.js";
import { invalidArgument, missingField } from "./errors.js";
import { checkTaskResources, platformLimits, resourceEntries } from "./task-resources.js";
import { checkNoNul } from "./text-limits.js";

/**
 * FlyteAdmin's task template checks after the identifier and project gate
 * (validateTaskTemplate), in its order: spec, type, metadata and runtime
 * version, interface, then the container or pod with its resources against
 * the platform limits.
 */
export function validateTaskSpec(id: Identifier, spec: TaskSpec | undefined, limits: TaskResourceSpec | undefined): TaskTemplate {
  const template = spec?.template;
  if (!template) throw missingField("spec");
  if (template.type === "") throw missingField("type");
  checkNoNul(template.type, "type");
  if (!template.metadata) throw missingField("metadata");
  if (template.metadata.runtime && template.metadata.runtime.version === "") throw missingField("runtime version");
  if (!template.interface) throw missingField("typed interface");
  const platform = platformLimits(limits);
  const target = template.target;
  if (target.case === "container") {
    if (target.value.image === "") throw missingField("image");
    const resources = target.value.resources;
    if (resources) checkTaskResources(id, resourceEntries(id, resources.requests), resourceEntries(id, resources.limits), platform);
  } else if (target.case === "k8sPod") {
    if (!target.value.podSpec) {
      throw invalidArgument("invalid TaskSpecification, pod tasks should specify their target as a K8sPod with a defined pod spec");
    }
    for (const c of podContainers(target.value.podSpec)) {
      checkTaskResources(id, resourceEntries(id, podResources(c.resources?.requests)), resourceEntries(id, podResources(c.resources?.limits)), platform);
    }
  }
  return template;
}

interface PodContainer {
  name?: unknown;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}

/** The containers of a pod spec (a Struct holding a Kubernetes PodSpec). */
export function podContainers(podSpec: JsonObject): PodContainer[] {
  const json = podSpec as { containers?: unknown };
  if (json.containers === undefined) return [];
  if (!Array.isArray(json.containers)) throw invalidArgument("invalid pod spec: containers must be a list");
  // Kubernetes reads a null or scalar entry as an empty container (which then fails the name check).
  return json.containers.map((c) => (c !== null && typeof c === "object" && !Array.isArray(c) ? (c as PodContainer) : {}));
}

/** A Kubernetes ResourceList ({cpu: "1", "ephemeral-storage": "1Gi"}) as flyteidl resource entries. */
function podResources(list: Record<string, unknown> | undefined): { name: Name; value: string }[] {
  return Object.entries(list ?? {}).map(([key, value]) => ({
    name: Name[key.toUpperCase().replace(/-/g, "_") as keyof typeof Name] ?? Name.UNKNOWN,
    value: String(value),
  }));
}

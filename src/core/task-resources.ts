import type { TaskResourceSpec } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { type Identifier } from "../../gen/flyteidl/core/identifier_pb.js";
import { Resources_ResourceName as Name } from "../../gen/flyteidl/core/tasks_pb.js";
import { invalidArgument } from "./errors.js";
import { identifierText } from "./identifier.js";
import { canonicalQuantity, parseQuantity, wholeUnits } from "./quantity.js";

/** A parsed quantity with its canonical Kubernetes text (FlyteAdmin quotes that back). */
interface Quantity {
  text: string;
  value: number;
}
type ResourceMap = Map<Name, Quantity>;

const CHECKED = new Set([Name.CPU, Name.MEMORY, Name.GPU, Name.EPHEMERAL_STORAGE]);
const K8S_DOCS = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/";

/** Requests or limits as FlyteAdmin reads them: CPU, memory, GPU and ephemeral storage only, each once. */
export function resourceEntries(id: Identifier, entries: readonly { name: Name; value: string }[]): ResourceMap {
  const out: ResourceMap = new Map();
  for (const { name, value } of entries) {
    if (!CHECKED.has(name)) continue;
    if (out.has(name)) throw invalidArgument(`can't specify ${Name[name]} limit for task [${identifierText(id)}] multiple times`);
    const parsed = parseQuantity(value);
    if ("error" in parsed) {
      // "request" even for limits, and two spaces after "reason": FlyteAdmin's text.
      throw invalidArgument(`Parsing of ${Name[name]} request failed for value ${value} - reason  ${parsed.error}. Please follow K8s conventions for resources ${K8S_DOCS}`);
    }
    // Kubernetes' MilliValue() rounds up, so 1.0004 GPUs is 1001m: not whole.
    if (name === Name.GPU && Math.ceil(parsed.value * 1000 - 1e-9) % 1000 !== 0) {
      throw invalidArgument(`gpu for [${identifierText(id)}] must be a whole number, got: ${value} instead`);
    }
    out.set(name, { text: canonicalQuantity(value), value: parsed.value });
  }
  return out;
}

/** The platform's limits (config or TASK_RESOURCE attribute); unset or zero limits are not enforced. */
export function platformLimits(spec: TaskResourceSpec | undefined): ResourceMap {
  const out: ResourceMap = new Map();
  const add = (name: Name, text: string | undefined) => {
    if (!text) return;
    const parsed = parseQuantity(text);
    if ("value" in parsed && parsed.value !== 0) out.set(name, { text: canonicalQuantity(text), value: parsed.value });
  };
  add(Name.CPU, spec?.cpu);
  add(Name.MEMORY, spec?.memory);
  add(Name.GPU, spec?.gpu);
  add(Name.EPHEMERAL_STORAGE, spec?.ephemeralStorage);
  return out;
}

const overPlatform = (name: Name, kind: "default" | "limit", q: Quantity, platform: Quantity) =>
  invalidArgument(
    `Requested ${Name[name]} ${kind} [${q.text}] is greater than current limit set in the platform configuration [${platform.text}]. Please contact Flyte Admins to change these limits or consult the configuration`,
  );

/**
 * FlyteAdmin's resource check. Only resources with a request are examined (a
 * limit without a request is never checked), and quantities compare in whole
 * units, as Kubernetes' Quantity.Value() rounds them.
 */
export function checkTaskResources(id: Identifier, requests: ResourceMap, limits: ResourceMap, platform: ResourceMap): void {
  for (const [name, request] of requests) {
    const limit = limits.get(name);
    const cap = platform.get(name);
    if (name === Name.GPU) {
      if (limit && wholeUnits(limit.value) !== wholeUnits(request.value)) {
        throw invalidArgument(`For extended resource 'gpu' the default value must equal the limit value for task [${identifierText(id)}]`);
      }
      if (cap && wholeUnits(request.value) > wholeUnits(cap.value)) throw overPlatform(name, "default", request, cap);
      continue;
    }
    if (limit && wholeUnits(limit.value) < wholeUnits(request.value)) {
      throw invalidArgument(`Requested ${Name[name]} default [${request.text}] is greater than the limit [${limit.text}]. Please fix your configuration`);
    }
    if (limit && cap && wholeUnits(limit.value) > wholeUnits(cap.value)) throw overPlatform(name, "limit", limit, cap);
    if (cap && wholeUnits(request.value) > wholeUnits(cap.value)) throw overPlatform(name, "default", request, cap);
  }
}


import { create } from "@bufbuild/protobuf";
import { type Resources_ResourceEntry, Resources_ResourceEntrySchema, Resources_ResourceName as Name, ResourcesSchema, type TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { canonicalQuantity, parseQuantity } from "../quantity.js";
import type { PlatformTaskResources } from "./execution-config.js";

/** A quantity as Go's resource.Quantity holds it: a value to compare and its canonical text ("0" when zero). */
interface Q {
  value: number;
  text: string;
}
const ZERO: Q = { value: 0, text: "0" };

/** Unparsable or missing quantities count as zero, as FlyteAdmin's parseQuantityNoError makes them. */
function q(text: string | undefined): Q {
  if (!text) return ZERO;
  const parsed = parseQuantity(text);
  if ("error" in parsed || parsed.value === 0) return ZERO;
  return { value: parsed.value, text: canonicalQuantity(text) };
}

/** Caps `value` at `limit` when both are set. */
const capAt = (value: Q, limit: Q): Q => (value.value === 0 || limit.value === 0 || value.value <= limit.value ? value : limit);

/**
 * flytek8s AdjustOrDefaultResource: a missing request takes the limit, else the
 * platform default; a missing limit takes the request; then the limit is capped
 * by the platform limit and the request by the limit.
 */
function adjustOrDefault(request: Q, limit: Q, platformDefault: Q, platformLimit: Q): { request: Q; limit: Q } {
  let req = request.value !== 0 ? request : limit.value !== 0 ? limit : platformDefault;
  let lim = limit.value !== 0 ? limit : req;
  lim = capAt(lim, platformLimit);
  req = capAt(req, lim);
  return { request: req, limit: lim };
}

function entryMap(entries: readonly Resources_ResourceEntry[]): Map<Name, Q> {
  const out = new Map<Name, Q>();
  for (const e of entries) out.set(e.name, q(e.value));
  return out;
}

/**
 * The container task as FlyteAdmin hands it over (setCompiledTaskDefaults):
 * CPU and memory always get a request and a limit, ephemeral storage and GPU
 * when the task or the platform default names them; any other resource entry
 * is dropped. Tasks without a container are returned as they are. Returns a
 * new template; the given one is not changed.
 */
export function withTaskResourceDefaults(template: TaskTemplate, platform: PlatformTaskResources): TaskTemplate {
  if (template.target.case !== "container") return template;
  const container = template.target.value;
  const requests = entryMap(container.resources?.requests ?? []);
  const limits = entryMap(container.resources?.limits ?? []);
  const pd = platform.defaults;
  const pl = platform.limits;
  const resolved: [Name, Q, Q][] = [
    [Name.CPU, q(pd?.cpu), q(pl?.cpu)],
    [Name.MEMORY, q(pd?.memory), q(pl?.memory)],
    [Name.EPHEMERAL_STORAGE, q(pd?.ephemeralStorage), q(pl?.ephemeralStorage)],
    [Name.GPU, q(pd?.gpu), q(pl?.gpu)],
  ];
  const outRequests: Resources_ResourceEntry[] = [];
  const outLimits: Resources_ResourceEntry[] = [];
  for (const [name, platformDefault, platformLimit] of resolved) {
    const request = requests.get(name) ?? ZERO;
    const limit = limits.get(name) ?? ZERO;
    const always = name === Name.CPU || name === Name.MEMORY;
    if (!always && request.value === 0 && limit.value === 0 && platformDefault.value === 0) continue;
    const r = adjustOrDefault(request, limit, platformDefault, platformLimit);
    outRequests.push(create(Resources_ResourceEntrySchema, { name, value: r.request.text }));
    outLimits.push(create(Resources_ResourceEntrySchema, { name, value: r.limit.text }));
  }
  return {
    ...template,
    target: { case: "container", value: { ...container, resources: create(ResourcesSchema, { requests: outRequests, limits: outLimits }) } },
  };
}

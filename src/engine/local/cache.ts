/**
 * Task caching at the node level (engine-spec §6.1, propeller's nodes/cache.go
 * and the cache steps of its node executor): the look-up when a cacheable task
 * node leaves NotYetStarted, the reservation of cache_serializable tasks while
 * Queued or Running, and the write after a successful attempt. The node
 * executor calls these around its handler; they apply to task nodes whose
 * template is `discoverable`, and change nothing for any other node.
 */
import { create } from "@bufbuild/protobuf";
import { CatalogCacheStatus, type CatalogMetadata, CatalogReservation_Status } from "../../../gen/flyteidl/core/catalog_pb.js";
import type { TaskExecutionIdentifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import type { TaskTemplate } from "../../../gen/flyteidl/core/tasks_pb.js";
import { TaskNodeMetadataSchema } from "../../../gen/flyteidl/event/event_pb.js";
import { keyOfUri, readMessage } from "./blob-uris.js";
import { CacheKeyError, cachePolicy, type TaskCacheKey, taskCacheKey } from "./cache-key.js";
import { ErrorKind, errorText, executionError } from "./execution-error.js";
import { generatedName } from "./ids.js";
import { outputsPath } from "./paths.js";
import { type HandlerResult, type NodeContext, requestWake, result } from "./round-context.js";
import { taskTemplateOf } from "./task-handler.js";

/** The message of a node that waits for another node computing the same cache entry (propeller's cacheSerializedReason). */
export const SERIALIZED_CACHE_WAIT = "waiting on serialized cache";
/** How soon a waiting node looks again when nothing wakes it sooner (the holder may run in another process, or be gone). */
export const SERIALIZED_CACHE_POLL_MS = 3_000;

/** What the cache steps before the handler found out, for the steps after it. */
export interface CacheGate {
  /** The node's transition decided without its handler: a hit, or waiting for the reservation. */
  result?: HandlerResult;
  cacheStatus?: CatalogCacheStatus;
  catalogKey?: CatalogMetadata;
  reservation?: CatalogReservation_Status;
  key?: TaskCacheKey;
}

interface CachedTask {
  template: TaskTemplate;
  serializable: boolean;
  overwrite: boolean;
}

function cachedTask(n: NodeContext): CachedTask | undefined {
  if (n.node.target.case !== "taskNode") return undefined;
  const template = taskTemplateOf(n);
  const { cacheable, serializable } = cachePolicy(template);
  if (!template || !cacheable) return undefined;
  return { template, serializable, overwrite: n.round.def.json.config.overwriteCache };
}

/** The key of the node's run, from the inputs it resolved into `D/inputs.pb`. */
async function keyOf(n: NodeContext, template: TaskTemplate): Promise<TaskCacheKey> {
  const inputs = await readMessage(n.round.services.blobs, n.inputsUri, LiteralMapSchema);
  if (!inputs) throw new Error(`inputs ${n.inputsUri} of node [${n.specId}] not found`);
  return taskCacheKey(template, inputs);
}

const keyFailure = (n: NodeContext, e: CacheKeyError) => result("Failure", n.round.now(), "", executionError(ErrorKind.USER, "InvalidCacheKey", e.message));

/** The reservation owner: one per node attempt (propeller's computeCatalogReservationOwnerID). */
const ownerOf = (n: NodeContext) => generatedName(n.round.key.name, n.uniqueId, n.status.attempts);

/** The cached outputs become the node's outputs of attempt 0; one SUCCEEDED event reports the hit. */
async function hit(n: NodeContext, bytes: Uint8Array, catalogKey: CatalogMetadata): Promise<HandlerResult> {
  const { blobs } = n.round.services;
  const outputUri = outputsPath(n.outputDir);
  await blobs.put(keyOfUri(blobs, outputUri), bytes);
  const taskNodeMetadata = create(TaskNodeMetadataSchema, { cacheStatus: CatalogCacheStatus.CACHE_HIT, catalogKey });
  return result("Success", n.round.now(), "", undefined, { outputUri, taskNodeMetadata });
}

export const isCacheHit = (p: HandlerResult) => p.info?.taskNodeMetadata?.cacheStatus === CatalogCacheStatus.CACHE_HIT;

/**
 * A cacheable node leaving NotYetStarted with its inputs written: a hit is the
 * node's Success (no task execution); undefined runs it. overwrite_cache
 * skips the look-up.
 */
export async function cacheOnQueued(n: NodeContext): Promise<HandlerResult | undefined> {
  const task = cachedTask(n);
  if (!task || task.overwrite) return undefined;
  let key: TaskCacheKey;
  try {
    key = await keyOf(n, task.template);
  } catch (e) {
    if (e instanceof CacheKeyError) return keyFailure(n, e);
    throw e;
  }
  const found = await n.round.services.catalog.lookup(key, task.template);
  return found.hit ? hit(n, found.bytes, found.metadata) : undefined;
}

/**
 * Before the handler of a Queued or Running cache_serializable node: the
 * reservation is taken or extended; a node kept Queued by another owner's
 * reservation looks in the cache again (the owner may have finished) and
 * otherwise keeps waiting without running its handler.
 */
export async function cacheBeforeHandle(n: NodeContext): Promise<CacheGate | undefined> {
  const task = cachedTask(n);
  if (!task?.serializable) return undefined;
  if (task.overwrite) return { cacheStatus: CatalogCacheStatus.CACHE_SKIPPED };
  const ctx = n.round;
  const { catalog } = ctx.services;
  let key: TaskCacheKey;
  try {
    key = await keyOf(n, task.template);
  } catch (e) {
    if (e instanceof CacheKeyError) return { result: keyFailure(n, e) };
    throw e;
  }
  const gate: CacheGate = { key };
  const queued = n.status.phase === "Queued";
  if (queued && n.status.message === SERIALIZED_CACHE_WAIT) {
    const found = await catalog.lookup(key, task.template);
    if (found.hit) return { ...gate, result: await hit(n, found.bytes, found.metadata) };
    gate.cacheStatus = CatalogCacheStatus.CACHE_MISS;
  }
  const waiter = { id: `${ctx.key.project}/${ctx.key.domain}/${ctx.key.name}`, wake: () => ctx.services.wake(ctx.key) };
  gate.reservation = await catalog.reserve(key, ownerOf(n), ctx.now(), waiter);
  if (gate.reservation === CatalogReservation_Status.RESERVATION_EXISTS && queued) {
    gate.result = result("Queued", ctx.now(), SERIALIZED_CACHE_WAIT);
    requestWake(ctx, ctx.now().getTime() + SERIALIZED_CACHE_POLL_MS);
  }
  return gate;
}

/**
 * After the handler: a successful run is stored in the cache (CACHE_POPULATED,
 * or CACHE_PUT_FAILURE, which never fails the node; CACHE_DISABLED for a task
 * without outputs) and its reservation released; whatever the steps found
 * out goes into the event's task_node_metadata.
 */
export async function cacheAfterHandle(n: NodeContext, p: HandlerResult, gate: CacheGate | undefined): Promise<HandlerResult> {
  const task = cachedTask(n);
  if (!task) return p;
  let { cacheStatus, catalogKey, reservation } = gate ?? {};
  if (p.phase === "Success" && !isCacheHit(p)) {
    const ctx = n.round;
    try {
      const key = gate?.key ?? (await keyOf(n, task.template));
      if (Object.keys(task.template.interface?.outputs?.variables ?? {}).length === 0) {
        cacheStatus = CatalogCacheStatus.CACHE_DISABLED;
        catalogKey = undefined;
      } else {
        const written = await ctx.services.catalog.put(key, task.template, outputsPath(n.outputDir), sourceOf(n, task.template), task.overwrite);
        cacheStatus = written.populated ? CatalogCacheStatus.CACHE_POPULATED : CatalogCacheStatus.CACHE_PUT_FAILURE;
        catalogKey = written.metadata;
      }
      if (task.serializable) {
        await ctx.services.catalog.release(key, ownerOf(n));
        reservation = CatalogReservation_Status.RESERVATION_RELEASED;
      }
    } catch (e) {
      // The task ran and succeeded: the cache failing to take its outputs does not change that.
      ctx.services.logger.warn("engine cache: could not store a successful run", { execution: ctx.key.name, node: n.uniqueId, error: errorText(e) });
      if (cacheStatus !== CatalogCacheStatus.CACHE_POPULATED) {
        cacheStatus = CatalogCacheStatus.CACHE_PUT_FAILURE;
        catalogKey = undefined;
      }
    }
  }
  if (cacheStatus === undefined && reservation === undefined) return p;
  const metadata = create(TaskNodeMetadataSchema, p.info?.taskNodeMetadata ?? {});
  if (cacheStatus !== undefined) {
    metadata.cacheStatus = cacheStatus;
    metadata.catalogKey = catalogKey;
  }
  if (reservation !== undefined) metadata.reservationStatus = reservation;
  return { ...p, info: { ...p.info, taskNodeMetadata: metadata } };
}

/**
 * Gives up the node's reservation when its attempt ends other than by
 * success (failure, timeout, retry, abort), so a waiting node need not wait
 * for it to expire. Nothing to do for a node that holds none.
 */
export async function releaseCacheReservation(n: NodeContext): Promise<void> {
  const task = cachedTask(n);
  if (!task?.serializable || task.overwrite) return;
  const ctx = n.round;
  try {
    await ctx.services.catalog.release(await keyOf(n, task.template), ownerOf(n));
  } catch (e) {
    // It expires on its own.
    ctx.services.logger.warn("engine cache: could not release a reservation", { execution: ctx.key.name, node: n.uniqueId, error: errorText(e) });
  }
}

/** The task execution whose outputs a write stores. */
function sourceOf(n: NodeContext, template: TaskTemplate): TaskExecutionIdentifier {
  return {
    $typeName: "flyteidl.core.TaskExecutionIdentifier",
    taskId: template.id,
    nodeExecutionId: { $typeName: "flyteidl.core.NodeExecutionIdentifier", nodeId: n.uniqueId, executionId: n.round.def.executionId },
    retryAttempt: n.status.attempts,
  };
}

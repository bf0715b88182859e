import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export interface LoadShedderOptions {
  /** Heavy calls served at once. */
  maxRunning: number;
  /** Heavy calls allowed to wait for a slot; beyond this they fail RESOURCE_EXHAUSTED at once. */
  maxQueued: number;
}

export interface LoadShedder {
  /** Put it after the observing interceptor, so refusals are logged and counted like any failure. */
  interceptor: Interceptor;
  /** Heavy calls being served now. */
  running(): number;
  /** Heavy calls waiting for a slot. */
  queued(): number;
}

// Services whose reads can scan many rows or read blobs; health, reflection and auth metadata never wait.
const GATED_SERVICES = new Set(["flyteidl.service.AdminService", "flyteidl.service.SignalService", "flyteidl.service.DataProxyService"]);

/**
 * Calls that may read many rows or whole blobs: every List*, the Get*Data
 * calls (inputs and outputs from blob storage), and GetExecutionMetrics (a
 * whole execution's node and task tree). A Get of one entity is cheap.
 */
export function isHeavyCall(method: DescMethod): boolean {
  if (!GATED_SERVICES.has(method.parent.typeName)) return false;
  return method.name.startsWith("List") || /^Get\w*Data$/.test(method.name) || method.name === "GetExecutionMetrics";
}

interface Waiter {
  admit(): void;
}

/**
 * Bounds the heavy calls the server works on at once, so a flood of console
 * lists cannot starve cheap calls (GetVersion, health, event ingestion) of the
 * event loop and the database. Up to `maxRunning` run, up to `maxQueued` wait
 * in arrival order, and the rest are refused at once with RESOURCE_EXHAUSTED,
 * which clients retry with backoff; waiting longer would only turn into their
 * deadline errors. A waiting call whose client goes away leaves the queue.
 */
export function createLoadShedder(options: LoadShedderOptions): LoadShedder {
  const maxRunning = Math.max(1, options.maxRunning);
  const maxQueued = Math.max(0, options.maxQueued);
  let running = 0;
  const queue: Waiter[] = [];

  const release = () => {
    const next = queue.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next.admit();
    else running--;
  };

  const acquire = (signal: AbortSignal): Promise<void> | undefined => {
    if (running < maxRunning) {
      running++;
      return undefined;
    }
    if (queue.length >= maxQueued) {
      throw new ConnectError(`server busy: ${running + queue.length} list calls in progress, retry later`, Code.ResourceExhausted);
    }
    signal.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        reject(new ConnectError("call cancelled while waiting for a slot", Code.Canceled));
      };
      const waiter: Waiter = {
        admit() {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      queue.push(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  };

  const interceptor: Interceptor = (next) => async (req) => {
    if (!isHeavyCall(req.method)) return next(req);
    const waiting = acquire(req.signal);
    if (waiting) await waiting;
    try {
      return await next(req);
    } finally {
      release();
    }
  };

  return { interceptor, running: () => running, queued: () => queue.length };
}

import type { DescMethod } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";

export interface LoadShedderOptions {
  /** Heavy calls served at once. */
  maxRunning: number;
  /** Heavy calls allowed to wait for a slot; beyond this they fail RESOURCE_EXHAUSTED at once. */
  maxQueued: number;
}

export interface LoadShedder {
  /** Put it after the observing interceptor, so refusals are logged and counted like any failure. */
  interceptor: Interceptor;
  /**
   * For a caller that reaches the handlers through an in-process transport
   * (the REST gateway), which cannot carry context values: a header to send
   * with the call so that its slot is held by `hold`, and a function to drop
   * the registration once the call is over.
   */
  holdHeader(hold: WriteHold): { header: [string, string]; done(): void };
  /** Heavy calls being served now. */
  running(): number;
  /** Heavy calls waiting for a slot. */
  queued(): number;
}

// Services whose reads can scan many rows or read blobs (the DataCatalog's lists carry artifacts' data);
// health, reflection and auth metadata never wait.
const GATED_SERVICES = new Set(["flyteidl.service.AdminService", "flyteidl.service.SignalService", "flyteidl.service.DataProxyService", "datacatalog.DataCatalog"]);

/**
 * Calls that may read many rows or whole blobs: every List*, the Get*Data
 * calls (inputs and outputs from blob storage), and GetExecutionMetrics (a
 * whole execution's node and task tree). A Get of one entity is cheap.
 */
export function isHeavyCall(method: DescMethod): boolean {
  if (!GATED_SERVICES.has(method.parent.typeName)) return false;
  return method.name.startsWith("List") || /^Get\w*Data$/.test(method.name) || method.name === "GetExecutionMetrics";
}

/**
 * Set by a transport that writes the answer itself: the slot of a heavy call
 * is handed to it when the handler returns and given back once the answer has
 * been written. Released when the handler returns, a slot would let a flood
 * of answers pile up in socket buffers faster than clients read them: each
 * list page is megabytes, and the number of finished-but-unsent pages would
 * be bounded by nothing.
 */
export const writeHoldKey = createContextKey<WriteHold | undefined>(undefined, { description: "heavy-call slot held until the answer is written" });

/** Where a heavy call's slot waits for the answer to be written. */
export interface WriteHold {
  /** Takes the slot's release; called once, when the handler has answered. */
  take(release: () => void): void;
  /** The answer is written (or the client is gone): give the slot back. */
  written(): void;
}

/**
 * A hold that gives the slot back when the answer is written or after
 * `maxHoldMs`, whichever comes first: a client that never reads its answer
 * keeps only its own buffers, not a slot other calls need.
 */
export function createWriteHold(maxHoldMs: number): WriteHold {
  let release: (() => void) | undefined;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const give = () => {
    done = true;
    if (timer) clearTimeout(timer);
    const r = release;
    release = undefined;
    r?.();
  };
  return {
    take(r) {
      if (done) return r();
      release = r;
      timer = setTimeout(give, maxHoldMs);
      timer.unref();
    },
    written: give,
  };
}

/** A waiting call's signal aborted: its deadline passed (DEADLINE_EXCEEDED, as gRPC says it) or its client left. */
function leftWhileWaiting(reason: unknown): ConnectError {
  if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) {
    return new ConnectError("deadline exceeded while waiting for a slot", Code.DeadlineExceeded);
  }
  return new ConnectError("call cancelled while waiting for a slot", Code.Canceled);
}

// Internal: names a registered hold for calls made through an in-process transport. Its values are
// random and live only while their call runs, so a client that sends the header matches nothing.
const HOLD_HEADER = "x-flyteadmin-write-hold";

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
        reject(leftWhileWaiting(signal.reason));
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

  const holds = new Map<string, WriteHold>();

  const interceptor: Interceptor = (next) => async (req) => {
    if (!isHeavyCall(req.method)) return next(req);
    const waiting = acquire(req.signal);
    if (waiting) await waiting;
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release();
    };
    let handedOver = false;
    try {
      const res = await next(req);
      const hold = req.contextValues.get(writeHoldKey) ?? holds.get(req.header.get(HOLD_HEADER) ?? "");
      if (hold) {
        hold.take(releaseOnce);
        handedOver = true;
      }
      return res;
    } finally {
      if (!handedOver) releaseOnce();
    }
  };

  const holdHeader = (hold: WriteHold) => {
    const token = randomUUID();
    holds.set(token, hold);
    return { header: [HOLD_HEADER, token] as [string, string], done: () => holds.delete(token) };
  };

  return { interceptor, holdHeader, running: () => running, queued: () => queue.length };
}

import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";

export { Status as ServingStatus };

/** The statuses grpc.health.v1 reports; "" stands for the whole server. */
export interface HealthStatuses {
  /** Ignored once shutdown() was called. */
  set(service: string, status: Status): void;
  get(service: string): Status | undefined;
  /** Resolves at the next change (or at once when `signal` aborts). */
  changed(signal: AbortSignal): Promise<void>;
  all(): ReadonlyMap<string, Status>;
  /** Marks every service NOT_SERVING and ends open Watch streams after they report it. */
  shutdown(): void;
  readonly shuttingDown: boolean;
}

export function createHealthStatuses(initial: Iterable<[string, Status]>): HealthStatuses {
  const statuses = new Map(initial);
  const waiters = new Set<() => void>();
  let shuttingDown = false;
  const wakeAll = () => {
    for (const wake of [...waiters]) wake();
  };
  return {
    set(service, status) {
      // Once shutting down, nothing (a late health probe) may report SERVING again.
      if (shuttingDown) return;
      statuses.set(service, status);
      wakeAll();
    },
    shutdown() {
      shuttingDown = true;
      for (const service of statuses.keys()) statuses.set(service, Status.NOT_SERVING);
      wakeAll();
    },
    get shuttingDown() {
      return shuttingDown;
    },
    get: (service) => statuses.get(service),
    changed: (signal) =>
      new Promise<void>((resolve) => {
        const done = () => {
          waiters.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        waiters.add(done);
        signal.addEventListener("abort", done, { once: true });
        if (signal.aborted) done();
      }),
    all: () => statuses,
  };
}

/** grpc.health.v1.Health: Check, List, and Watch (streams every change until the call ends). */
export function registerHealth(router: ConnectRouter, statuses: HealthStatuses): void {
  router.service(Health, {
    check(req) {
      const status = statuses.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return { status };
    },
    list() {
      return { statuses: Object.fromEntries([...statuses.all()].map(([name, status]) => [name, { status }])) };
    },
    async *watch(req, ctx) {
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const status = statuses.get(req.service) ?? Status.SERVICE_UNKNOWN;
        if (status !== last) yield { status };
        last = status;
        // A stream open at shutdown ends cleanly once it has said NOT_SERVING.
        if (statuses.shuttingDown) return;
        await statuses.changed(ctx.signal);
      }
    },
  });
}

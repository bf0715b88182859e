import type { Logger } from "../logger.js";
import { describeCause } from "../storage/database-open-error.js";
import { withTimeout } from "../storage/with-timeout.js";
import { type HealthStatuses, ServingStatus } from "./health.js";

export interface StoreHealthOptions {
  /** Rejects when the database cannot serve (Store.probe). */
  probe(): Promise<void>;
  /** Time between the end of one probe and the start of the next; also a probe's time limit. */
  intervalMs: number;
  health: HealthStatuses;
  /** The services whose status follows the database ("" and "flyteadmin"). */
  services: readonly string[];
  logger: Logger;
}

export interface StoreHealth {
  /** Probes now and updates the statuses (tests; the timer does it otherwise). */
  probeNow(): Promise<void>;
  stop(): void;
}

/**
 * Keeps the health statuses in step with the database: one cheap probe per
 * interval, whose outcome every health call then reads. Probing per health
 * call would let a load balancer's checks load the database, and a stalled
 * database hang the checks. The server recovers by itself: the first probe
 * that succeeds after an outage reports SERVING again (calls meanwhile fail
 * UNAVAILABLE on their own). After shutdown has begun, statuses stay
 * NOT_SERVING whatever the probe says.
 */
export function startStoreHealth(options: StoreHealthOptions): StoreHealth {
  const { health, services, logger } = options;
  // A zero interval would probe in a tight loop; so would one beyond 2^31-1 ms, which Node's timers run after 1 ms.
  const intervalMs = Math.min(Math.max(options.intervalMs, 10), 2 ** 31 - 1);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let down: string | undefined;
  let running: Promise<void> | undefined;

  const report = (reason: string | undefined) => {
    if (stopped || health.shuttingDown) return;
    if (reason !== undefined && down === undefined) logger.warn("database unavailable: reporting NOT_SERVING", { reason });
    if (reason === undefined && down !== undefined) logger.info("database available again: reporting SERVING", { was: down });
    down = reason;
    const status = reason === undefined ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    for (const service of services) if (health.get(service) !== status) health.set(service, status);
  };

  const probeOnce = () =>
    (running ??= withTimeout(Promise.resolve().then(options.probe), intervalMs, `no answer from the database within ${intervalMs} ms`)
      .then(
        () => report(undefined),
        (e: unknown) => report(describeCause(e)),
      )
      .finally(() => (running = undefined)));

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void probeOnce().then(schedule), intervalMs);
    // The probe alone never keeps the process alive.
    timer.unref();
  };
  schedule();

  return {
    probeNow: probeOnce,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

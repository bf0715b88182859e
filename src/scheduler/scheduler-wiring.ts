import type { ExecutionCreateRequest } from "../../gen/flyteidl/admin/execution_pb.js";
import type { LaunchPlan } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { SchedulePlan } from "../storage/schedule-store.js";
import type { Store } from "../storage/store.js";
import type { Sleep } from "./rate-limiter.js";
import type { SchedulerMetrics } from "./schedule-firing.js";
import { createSchedulePlanner } from "./schedule-plan.js";
import { createScheduler, type SchedulerSettings } from "./scheduler.js";

/** What UpdateLaunchPlan needs of schedules: what activating a version writes, and whom to tell after. */
export interface ScheduleHooks {
  plan(launchPlan: LaunchPlan): SchedulePlan | undefined;
  /** Called after an activation or deactivation committed. */
  changed(): void;
  /** The time activation anchors schedules at. */
  now(): Date;
}

export interface SchedulesWiringOptions {
  config: Config;
  store: Store;
  create(request: ExecutionCreateRequest): Promise<unknown>;
  logger: Logger;
  metrics?: SchedulerMetrics | undefined;
  clock?: (() => Date) | undefined;
  sleep?: Sleep | undefined;
}

/** The scheduler's settings from the configuration. */
export function schedulerSettings(config: Config): SchedulerSettings {
  return {
    timezone: config.schedulerTimezone,
    catchUp: { mode: config.schedulerCatchUp, graceMs: config.schedulerCatchUpGraceMs, maxCatchUp: config.schedulerMaxCatchUp },
    maxTicksPerPass: config.schedulerMaxTicksPerPass,
    batchSize: config.schedulerBatchSize,
    maxCreatesPerSecond: config.schedulerMaxCreatesPerSecond,
    burst: config.schedulerBurst,
    maxRetryWindowMs: config.schedulerMaxRetryWindowMs,
    kickoffArgForFixedRate: config.schedulerKickoffArgForFixedRate,
    minIntervalMs: config.schedulerMinIntervalMs,
  };
}

/**
 * The scheduler over the configured store, and the hooks activation uses.
 * Activation writes schedule rows whether or not this replica fires them
 * (`--scheduler false`): another replica may.
 */
export function createSchedules(o: SchedulesWiringOptions) {
  const clock = o.clock ?? (() => new Date());
  const settings = schedulerSettings(o.config);
  const plan = createSchedulePlanner({ timezone: settings.timezone, minIntervalMs: settings.minIntervalMs, logger: o.logger });
  const scheduler = createScheduler({
    schedules: o.store.schedules,
    leases: o.store.leases,
    create: o.create,
    settings,
    logger: o.logger,
    metrics: o.metrics,
    clock,
    ...(o.sleep ? { sleep: o.sleep } : {}),
    adopt: (now) => o.store.launchPlans.adoptSchedules({ now, schedule: plan, limit: 1000 }),
  });
  const hooks: ScheduleHooks = {
    plan,
    changed: () => scheduler.poke(),
    now: clock,
  };
  return { scheduler, hooks };
}

import { join } from "node:path";
import { controlFlowRows } from "./engine-control-flow.js";
import { engineOverhead } from "./engine-phases.js";
import { realTaskFlags, realTasks, realTaskSetup } from "./engine-real-tasks.js";
import type { EngineResults } from "./engine-report.js";
import { grpcClient } from "./grpc-client.js";
import { noopBaseline } from "./noop-baseline.js";
import type { Sizes } from "./options.js";
import type { ServerProcess } from "./server-process.js";

export interface EngineRowsOptions {
  /** The run's temporary folder (the engine server's data folder). */
  dir: string;
  sizes: Sizes;
  /** Starts the server with these flags (the caller stops it in any case). */
  start(args: string[]): Promise<ServerProcess>;
  log(s: string): void;
}

/**
 * Starts the server with `--engine local` and measures the engine rows on it.
 * Echo tasks use no CPU, so the engine's CPU slots (host cores by default)
 * are lifted: the rows measure the engine, not the slot policy.
 */
export async function measureEngine(o: EngineRowsOptions): Promise<EngineResults> {
  const runRoot = join(o.dir, "engine-runs");
  const setup = realTaskSetup(o.dir);
  const serverFlags = ["--engine", "local", "--engine-task-slots", "100000", "--engine-run-root", runRoot, ...("skipped" in setup ? [] : realTaskFlags(setup))];
  const server = await o.start(serverFlags);
  const admin = grpcClient(server.url);
  try {
    const noop = await noopBaseline(admin, server.cpuSeconds);
    const overhead = await engineOverhead(admin, o.sizes, server.cpuSeconds, noop, o.log);
    const controlFlow = await controlFlowRows(admin, o.sizes, server.cpuSeconds, noop, o.log);
    // Every row's baseline, the control-flow rows' too.
    overhead.noop = noop.summary();
    let real: EngineResults["realTasks"];
    if ("skipped" in setup) {
      o.log(`engine: hello through pyflyte-execute skipped (${setup.skipped})`);
      real = setup;
    } else {
      o.log(`engine: hello through pyflyte-execute, ${o.sizes.realTaskRuns} runs...`);
      real = await realTasks(admin, setup, runRoot, o.sizes.realTaskRuns);
    }
    return { overhead, controlFlow, realTasks: real, serverFlags };
  } finally {
    admin.close();
    await server.stop();
  }
}

import { Health } from "../gen/grpc/health/v1/health_pb.js";
import type { GrpcClient } from "./grpc-client.js";
import { drive } from "./load.js";
import type { Measured } from "./stats.js";

/** Health/Check's server CPU, measured between the runs of engine rows: what their CPU is compared with. */
export interface NoopBaseline {
  /**
   * Runs `run`, then measures the no-op again: the run's baseline is the mean
   * of the measurements just before and just after it (other work on the
   * machine changes both alike).
   */
  bracket<T extends object>(run: () => Promise<T>): Promise<T & { noopCpuMs: number }>;
  /** All measurements so far: calls per second and server CPU per call. */
  summary(): { perSecond: number; serverCpuMsPerCall: number };
}

/** Warms the no-op (the first calls of a path are slower: JIT) and takes the first measurement. */
export async function noopBaseline(c: GrpcClient, cpu: () => number): Promise<NoopBaseline> {
  const call = () => c.raw(Health.method.check, { service: "flyteadmin" });
  const noops: Measured[] = [];
  const measure = async () => {
    await drive(call, { concurrency: 16, durationMs: 300 });
    const m = await drive(call, { concurrency: 16, durationMs: 1000, cpu });
    noops.push(m);
    return m.serverCpuMsPerCall!;
  };
  await drive(call, { concurrency: 16, durationMs: 1000 });
  let last = await measure();
  return {
    async bracket(run) {
      const done = await run();
      const before = last;
      last = await measure();
      return { ...done, noopCpuMs: (before + last) / 2 };
    },
    summary() {
      const calls = noops.reduce((a, m) => a + m.count, 0);
      const seconds = noops.reduce((a, m) => a + m.seconds, 0);
      const cpuMs = noops.reduce((a, m) => a + m.serverCpuMsPerCall! * m.count, 0);
      return { perSecond: calls / seconds, serverCpuMsPerCall: cpuMs / calls };
    },
  };
}

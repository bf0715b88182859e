import { create } from "@bufbuild/protobuf";
import { CompiledWorkflowClosureSchema } from "../gen/flyteidl/core/compiler_pb.js";
import { openStore } from "../src/storage/open-store.js";
import { grpcClient } from "./grpc-client.js";
import type { Sizes } from "./options.js";
import { noopBaseline } from "./noop-baseline.js";
import { listLatencies } from "./phases.js";
import { seedNames } from "./seed.js";
import type { ServerProcess } from "./server-process.js";

/**
 * `--only names`: the ListNamedEntities rows alone. Seeds the workflow names
 * through the Store (the compiled closure left empty: lists never read it),
 * then times the calls against a fresh server, between two measurements of
 * the no-op.
 */
export async function measureNames(o: {
  database: string;
  sizes: Sizes;
  start(): Promise<ServerProcess>;
  /** Refreshes the planner's statistics after seeding (PostgreSQL). */
  analyze?: () => Promise<void>;
  log(s: string): void;
}) {
  o.log("seeding workflow names through the Store...");
  const seedStarted = performance.now();
  const store = await openStore(o.database);
  await seedNames(store, o.sizes.lists, create(CompiledWorkflowClosureSchema), o.log);
  await store.close();
  await o.analyze?.();
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const server = await o.start();
  try {
    o.log("ListNamedEntities calls...");
    const c = grpcClient(server.url);
    // The no-op's CPU just before and after: what the rows' CPU is read against on a shared machine.
    const noop = await noopBaseline(c, server.cpuSeconds);
    const { calls, noopCpuMs } = await noop.bracket(async () => ({
      calls: await listLatencies(c, o.sizes.lists, o.sizes.listCalls, server.cpuSeconds, (name) => name.startsWith("ListNamedEntities")),
    }));
    c.close();
    return { seeded: o.sizes.lists, seedSeconds, calls, noopCpuMs };
  } finally {
    await server.stop();
  }
}

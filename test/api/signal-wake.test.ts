import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema, SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { signalService } from "../../src/api/signals.js";
import type { SignalKey } from "../../src/core/signals.js";
import { createLogger } from "../../src/logger.js";
import { createObservingInterceptor } from "../../src/server/interceptors.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { createSqlSignals } from "../../src/storage/sql-signals.js";
import { failure } from "../helpers/rpc-failure.js";

const BOOL = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.BOOLEAN } });
const yes = create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "boolean", value: true } } } } } });
const EXEC = { project: "p", domain: "d", name: "e1" };

const clientWith = (onSet: (key: SignalKey) => void) => {
  const signals = createSqlSignals(openSqlite(":memory:"));
  const transport = createRouterTransport((router) => router.service(SignalService, signalService({ signals, onSet })), {
    router: { interceptors: [createObservingInterceptor(createLogger("silent"))] },
  });
  return createClient(SignalService, transport);
};

describe("SetSignal tells the engine", () => {
  it("names the signal once its value is stored, and only then", async () => {
    const told: SignalKey[] = [];
    const client = clientWith((k) => told.push(k));
    await failure(client.setSignal({ id: { executionId: EXEC, signalId: "review" }, value: yes }));
    expect(told).toEqual([]);
    await client.getOrCreateSignal({ id: { executionId: EXEC, signalId: "review" }, type: BOOL });
    await client.setSignal({ id: { executionId: EXEC, signalId: "review" }, value: yes });
    expect(told).toEqual([{ ...EXEC, signalId: "review" }]);
  });

  it("still answers OK when the engine side throws: the value is stored", async () => {
    const client = clientWith(() => {
      throw new Error("engine gone");
    });
    await client.getOrCreateSignal({ id: { executionId: EXEC, signalId: "review" }, type: BOOL });
    await client.setSignal({ id: { executionId: EXEC, signalId: "review" }, value: yes });
    const listed = await client.listSignals({ workflowExecutionId: EXEC, limit: 10 });
    expect(listed.signals[0]?.value).toEqual(yes);
  });
});

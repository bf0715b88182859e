// Two app instances on one database share the outbox: every delivery is sent,
// none twice, and both do some of the work (§3.6 scenario 12).
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import type { DeliveryChannel } from "../../src/notifications/channel.js";
import { createEmailChannel } from "../../src/notifications/email-channel.js";
import { openStore } from "../../src/storage/open-store.js";
import type { Store } from "../../src/storage/store.js";
import { createTestDatabase, PG_URL } from "../helpers/backends.js";
import { emailOn, launch, NOTIFY, notifyingApp, registerNotifyingLaunchPlan, run } from "./outbox-helpers.js";

const EXECUTIONS = 200;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * What each replica is built on. On PostgreSQL each opens its own pool, as
 * separate servers do. A SQLite file is one process's database (README
 * "Replicas"): the two apps share its one connection, which still makes their
 * workers claim against each other.
 */
type Replicas = () => Promise<{ database: string; store?: Store }>;
const databases: [string, Replicas][] = [
  [
    "sqlite file",
    async () => {
      const database = join(mkdtempSync(join(tmpdir(), "flyteadmin-replicas-")), "admin.db");
      const store = await openStore(database);
      cleanups.unshift(() => store.close());
      return { database, store: { ...store, close: async () => undefined } };
    },
  ],
  ...(PG_URL
    ? [
        [
          "postgres (server)",
          async () => {
            const db = await createTestDatabase();
            cleanups.unshift(() => db.drop());
            return { database: db.url };
          },
        ] as [string, Replicas],
      ]
    : []),
];

describe.each(databases)("two replicas on %s", (_name, replicas) => {
  it(`deliver ${EXECUTIONS} notifications once each between them`, async () => {
    const messageIds: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, _session, callback) {
        let raw = "";
        stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
        stream.on("end", () => {
          messageIds.push(/^Message-ID: (.*?)\r?$/im.exec(raw)?.[1] ?? "none");
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;

    const { database, store } = await replicas();
    const replica = async () => {
      // The real SMTP channel, counted, so the test sees which replica sent what.
      const real = createEmailChannel({ smtpUrl, timeoutMs: 10_000 });
      let sends = 0;
      const email: DeliveryChannel = { send: (d) => (sends++, real.send(d)), close: () => real.close() };
      const made = await notifyingApp({ ...NOTIFY, database, smtpUrl }, { ...(store ? { store } : {}), notifications: { channels: { email } } });
      cleanups.push(() => made.app.close());
      return { ...made, sends: () => sends };
    };
    const a = await replica();
    const b = await replica();
    const lp = await registerNotifyingLaunchPlan(a.admin, "notify_lp", [emailOn([Phase.SUCCEEDED, Phase.FAILED], ["team@x"])]);
    for (let i = 0; i < EXECUTIONS; i++) {
      // Events arrive at either replica, as behind a load balancer.
      const admin = i % 2 === 0 ? a.admin : b.admin;
      await launch(admin, lp, `e${i}`);
      await run(admin, `e${i}`, i % 3 === 0 ? Phase.FAILED : Phase.SUCCEEDED);
    }
    expect((await a.app.store.notifications.list({ status: "pending", limit: 1000 })).length).toBe(EXECUTIONS);

    await Promise.all([a.app.notifications.worker!.drain(), b.app.notifications.worker!.drain()]);
    expect(messageIds).toHaveLength(EXECUTIONS);
    expect(new Set(messageIds).size).toBe(EXECUTIONS);
    expect((await a.app.store.notifications.list({ status: "sent", limit: 1000 })).length).toBe(EXECUTIONS);
    expect(a.sends() + b.sends()).toBe(EXECUTIONS);
    expect(a.sends()).toBeGreaterThan(0);
    expect(b.sends()).toBeGreaterThan(0);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { startServer } from "../../src/server.js";
import { realServer, testConfig } from "../helpers/app.js";
import { PG_URL } from "../helpers/backends.js";
import { eventually, FAST, NOT_SERVING, proxiedDatabase, registered, SERVING } from "../helpers/database-outage.js";

/**
 * The real server on a PostgreSQL behind a proxy that stalls (holds every
 * byte) or goes away: every wait is bounded and fails UNAVAILABLE, health
 * follows the database both ways, and start-up waits and says for what.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!PG_URL)("PostgreSQL stalling or gone", () => {
  it("fails calls UNAVAILABLE within the configured timeouts while the network stalls, and recovers when it resumes", async () => {
    const { url, proxy } = await proxiedDatabase(cleanups);
    const server = await realServer({ database: url, ...FAST });
    cleanups.push(() => server.close());
    const { launch, statuses } = await registered(server);
    expect(await launch()).toBe("ok");

    proxy.pause();
    // Without timeouts these never settle (the test's own time limit fails them).
    expect(await Promise.all(Array.from({ length: 8 }, () => launch()))).toEqual(Array(8).fill("Unavailable"));
    await eventually(async () => JSON.stringify(await statuses()) === JSON.stringify(NOT_SERVING), "NOT_SERVING while stalled");

    proxy.resume();
    await eventually(async () => JSON.stringify(await statuses()) === JSON.stringify(SERVING), "SERVING after the stall");
    expect(await Promise.all(Array.from({ length: 8 }, () => launch()))).toEqual(Array(8).fill("ok"));
  });

  it("reports NOT_SERVING while the database is gone and serves again by itself when it is back", async () => {
    const { url, proxy } = await proxiedDatabase(cleanups);
    const server = await realServer({ database: url, ...FAST });
    cleanups.push(() => server.close());
    const { launch, statuses } = await registered(server);
    expect(await statuses()).toEqual(SERVING);

    proxy.down();
    await eventually(async () => JSON.stringify(await statuses()) === JSON.stringify(NOT_SERVING), "NOT_SERVING while down");
    expect(await launch()).toBe("Unavailable");

    proxy.up();
    await eventually(async () => JSON.stringify(await statuses()) === JSON.stringify(SERVING), "SERVING once back");
    expect(await Promise.all(Array.from({ length: 4 }, () => launch()))).toEqual(Array(4).fill("ok"));
  });

  it("waits for a stalled database at start-up, saying so without the password, and starts once it answers", async () => {
    const { url, proxy } = await proxiedDatabase(cleanups);
    proxy.pause();
    const lines: string[] = [];
    const starting = startServer(testConfig({ database: url, ...FAST }), createLogger("info", (l) => lines.push(l)));
    await eventually(async () => lines.some((l) => l.includes(`waiting for PostgreSQL at ${proxy.address}`)), "a waiting log line");
    proxy.resume();
    const server = await starting;
    cleanups.push(() => server.close());
    const { launch } = await registered(server);
    expect(await launch()).toBe("ok");
    expect(lines.join("\n")).not.toContain("s3cret-pw");
  });
});

import { Code, ConnectError, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPageLimit, listAllPages, type PageLimit, pageSizeInterceptor, refusedPageSize } from "../../console/src/lib/paging.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { buildApp, type App } from "../../src/app.js";
import { createLogger } from "../../src/logger.js";
import { testConfig } from "../helpers/app.js";

/**
 * The console's list reads against the real router with a small page cap: the transport's
 * interceptor learns the cap from the first refusal and keeps every later request within it.
 */
describe("paging against a server that caps the page size", () => {
  const CAP = 7;
  let app: App;
  let total = 0;
  /** A client through the console's interceptor; `limits` records each limit that reached the server. */
  const consoleClient = (limit: PageLimit, limits: number[]): Client<typeof AdminService> =>
    createClient(
      AdminService,
      createRouterTransport(app.routes, {
        router: { interceptors: app.interceptors },
        transport: {
          interceptors: [
            pageSizeInterceptor(limit),
            (next) => async (req) => {
              limits.push((req.message as unknown as { limit: number }).limit);
              return next(req);
            },
          ],
        },
      }),
    );

  beforeAll(async () => {
    app = await buildApp(testConfig({ maxPageSize: String(CAP) }), createLogger("silent"));
    const admin = consoleClient(createPageLimit(), []);
    for (let i = 0; i < 20; i++) await admin.registerProject({ project: { id: `paged-${String(i).padStart(2, "0")}`, name: `paged ${i}` } });
    total = (await admin.listProjects({ limit: 0 })).projects.length;
  });
  afterAll(() => app?.close());

  const allProjects = (admin: Client<typeof AdminService>, maxItems: number, pageSize?: number) =>
    listAllPages(
      async (limit, token) => {
        const page = await admin.listProjects({ limit, token, sortBy: { key: "identifier" } });
        return { items: page.projects.map((p) => p.id), token: page.token };
      },
      { maxItems, ...(pageSize ? { pageSize } : {}) },
    );

  it("learns the cap from the first refusal, asks again within it, and keeps to it after", async () => {
    const limit = createPageLimit();
    const limits: number[] = [];
    const all = await allProjects(consoleClient(limit, limits), 1_000);
    expect(all.cut).toBe(false);
    expect(all.items).toHaveLength(total);
    expect(new Set(all.items).size).toBe(total);
    expect(limit.cap).toBe(CAP);
    expect(limits[0]).toBe(500);
    expect(limits.slice(1).every((l) => l === CAP)).toBe(true);

    // A single page asked for later (a "Load more" list) is lowered before it is sent.
    limits.length = 0;
    const page = await consoleClient(limit, limits).listProjects({ limit: 100 });
    expect(limits).toEqual([CAP]);
    expect(page.projects).toHaveLength(CAP);
    expect(page.token).not.toBe("");
    // Limits within the cap (and 0, "all" for projects) go as they are.
    limits.length = 0;
    await consoleClient(limit, limits).listProjects({ limit: 3 });
    await consoleClient(limit, limits).listProjects({ limit: 0 });
    expect(limits).toEqual([3, 0]);
  });

  it("stops at maxItems, asking only for what is still wanted, and says the list is cut", async () => {
    const limits: number[] = [];
    const all = await allProjects(consoleClient(createPageLimit(), limits), 12, 5);
    expect(all.items).toHaveLength(12);
    expect(all.cut).toBe(true);
    expect(limits).toEqual([5, 5, 2]);
  });

  it("passes on errors that are not a page-size refusal", async () => {
    const admin = consoleClient(createPageLimit(), []);
    await expect(admin.listProjects({ limit: 500, filters: "eq(no_such_column,1)" })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("shows the error of a server that refuses its own cap, after one retry", async () => {
    const limit = createPageLimit();
    let calls = 0;
    const refuse = pageSizeInterceptor(limit)(async () => {
      calls++;
      throw new ConnectError("invalid value for limit: 100 is more than the maximum page size of 10", Code.InvalidArgument);
    });
    await expect(refuse({ stream: false, message: { limit: 100 } } as never)).rejects.toThrow(/maximum page size of 10/);
    expect(calls).toBe(2);
    expect(limit.cap).toBe(10);
  });

  it("ends on a server that answers empty pages with a token", async () => {
    let calls = 0;
    const all = await listAllPages(async () => (calls++, { items: [], token: "more" }), { maxItems: 100 });
    expect(all).toEqual({ items: [], cut: false });
    expect(calls).toBe(1);
  });

  it("reads the cap only from INVALID_ARGUMENT page-size refusals", () => {
    expect(refusedPageSize(new ConnectError("… more than the maximum page size of 50; ask …", Code.InvalidArgument))).toBe(50);
    expect(refusedPageSize(new ConnectError("maximum page size of 50", Code.Internal))).toBeUndefined();
    expect(refusedPageSize(new ConnectError("invalid filter", Code.InvalidArgument))).toBeUndefined();
    expect(refusedPageSize(new Error("maximum page size of 50"))).toBeUndefined();
  });
});

import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { type LoginPage, loginRedirectInterceptor, loginUrl } from "../../console/src/lib/login-redirect.js";

function fakePage(href: string) {
  const store = new Map<string, string>();
  let now = 1_000_000;
  const visits: string[] = [];
  const page: LoginPage = {
    href: () => href,
    origin: () => new URL(href).origin,
    navigate: (url) => void visits.push(url),
    recall: (k) => store.get(k) ?? null,
    remember: (k, v) => void store.set(k, v),
    now: () => now,
  };
  return { page, visits, advance: (ms: number) => (now += ms) };
}

const clientRefusing = (code: Code, page: LoginPage) =>
  createClient(
    AdminService,
    createRouterTransport(
      ({ service }) =>
        service(AdminService, {
          getVersion() {
            throw new ConnectError("no", code);
          },
        }),
      { transport: { interceptors: [loginRedirectInterceptor(page)] } },
    ),
  );

describe("the console's login redirect", () => {
  it("sends an unauthenticated page to /login with its own absolute URL, once per while", async () => {
    const href = "https://flyte.example.com/console/projects/p/executions?domain=development";
    const { page, visits, advance } = fakePage(href);
    const admin = clientRefusing(Code.Unauthenticated, page);
    await expect(admin.getVersion({})).rejects.toThrow();
    expect(visits).toEqual([`https://flyte.example.com/login?redirect_url=${encodeURIComponent(href)}`]);
    await expect(admin.getVersion({})).rejects.toThrow();
    expect(visits).toHaveLength(1);
    advance(60_000);
    await expect(admin.getVersion({})).rejects.toThrow();
    expect(visits).toHaveLength(2);
  });

  it("leaves other failures to the page", async () => {
    const { page, visits } = fakePage("https://flyte.example.com/console");
    await expect(clientRefusing(Code.PermissionDenied, page).getVersion({})).rejects.toThrow();
    expect(visits).toEqual([]);
    expect(loginUrl("http://localhost:8089", "http://localhost:8089/console?a=b&c")).toBe("http://localhost:8089/login?redirect_url=http%3A%2F%2Flocalhost%3A8089%2Fconsole%3Fa%3Db%26c");
  });
});

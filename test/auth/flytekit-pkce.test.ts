import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/paths.js";
import { findFlytekit, kitPython, pyflyteEnv, SKIP_MESSAGE } from "../fixtures/engine/flytekit-kit.js";
import { type AuthTestServer, startAuthServer } from "../helpers/auth-server.js";
import { pkceAuth, tokenRequest, userToken } from "../helpers/pkce-flow.js";
import { freePort } from "../helpers/free-port.js";

/**
 * The real flytekit's Pkce mode (its PKCEAuthenticator and AuthorizationClient,
 * unchanged) against the self-hosted server: metadata and public client config
 * over gRPC, the browser round trip, the code exchange with everything flytekit
 * sends, then a refresh. Only the browser is stood in for.
 */
const kit = findFlytekit();
let s: AuthTestServer;
let home: string;
let url: string;
let callback: string;

describe.skipIf(!kit)(`flytekit with Pkce authentication ${kit ? "" : SKIP_MESSAGE}`, () => {
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // A callback port of its own: 53593 may be taken on a shared machine.
    callback = `http://localhost:${await freePort()}/callback`;
    const auth = pkceAuth(
      { authorizedUris: [url] },
      { flytectl: { public: true, grant_types: ["authorization_code", "refresh_token"], scopes: ["all", "offline"], redirect_uris: [callback] } },
    );
    (auth.appAuth as Record<string, unknown>).thirdPartyConfig = { flyteClient: { clientId: "flytectl", redirectUri: callback, scopes: ["all", "offline"] } };
    s = await startAuthServer({ auth, flags: { listen: `127.0.0.1:${port}` } });
    home = mkdtempSync(join(tmpdir(), "flyteadmin-auth-pkce-"));
  });
  afterAll(async () => {
    await s?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("logs in through the browser flow and refreshes with rotation", async () => {
    const script = join(packageRoot(), "test/fixtures/flytekit-pkce/pkce_login.py");
    const run = promisify(execFile);
    const bearer = await userToken(s, "alice", Date.now(), url);
    const { stdout } = await run(kitPython(kit!), [script, url.replace("http://", ""), bearer], { env: pyflyteEnv(kit!, home), timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split("\n").pop()!) as {
      opened: string[];
      header_key: string;
      first: { access_token: string; refresh_token: string; expires_in: number };
      second: { access_token: string; refresh_token: string };
    };
    const opened = new URL(out.opened[0]!);
    expect(`${opened.origin}${opened.pathname}`).toBe(`${url}/oauth2/authorize`);
    expect(Object.fromEntries(opened.searchParams)).toMatchObject({ client_id: "flytectl", response_type: "code", redirect_uri: callback, code_challenge_method: "S256" });
    expect(out.header_key).toBe("flyte-authorization");
    expect(decodeJwt(out.first.access_token)).toMatchObject({ sub: "alice", client_id: "flytectl", scp: ["all", "offline"] });
    expect(out.first.expires_in).toBeGreaterThan(0);
    expect(out.second.refresh_token).not.toBe(out.first.refresh_token);
    expect(decodeJwt(out.second.access_token)).toMatchObject({ sub: "alice" });
    // flytekit's first refresh token was used by its refresh: presenting it again is refused.
    const again = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: out.first.refresh_token, client_id: "flytectl" });
    expect(again.body.error).toBe("invalid_grant");
    const admin = s.admin("grpc", { "flyte-authorization": `Bearer ${out.first.access_token}` });
    expect((await admin.listProjects({})).projects).toBeDefined();
  }, 90_000);
});

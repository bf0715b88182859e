import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseAuth, resolveAuth } from "../../src/auth/auth-config.js";
import { createAuth } from "../../src/auth/auth-wiring.js";
import { createLogger } from "../../src/logger.js";
import { openStore } from "../../src/storage/open-store.js";
import type { Store } from "../../src/storage/store.js";
import { pkceAuth } from "../helpers/pkce-flow.js";

/** The hook a logout calls: every refresh token of the user goes, other users' stay. */
let store: Store | undefined;
afterEach(async () => store?.close());

const T0 = new Date();
const refresh = (idHash: string, subject: string) => ({
  idHash,
  family: `f-${idHash}`,
  clientId: "flytectl",
  subject,
  scopes: ["all", "offline"],
  userInfo: { sub: subject },
  createdAt: T0,
  expiresAt: new Date(T0.getTime() + 3_600_000),
});

describe("revokeUserGrants", () => {
  it("revokes the subject's refresh tokens once the store is attached", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-revoke-"));
    const auth = resolveAuth(parseAuth(pkceAuth()), { publicUrl: "", dataDir: dir, join });
    const runtime = await createAuth({ auth, dialect: "sqlite", modes: { fileMode: 0o600, dirMode: 0o700 }, logger: createLogger("silent") });
    expect(await runtime.revokeUserGrants("alice")).toBe(0);
    store = await openStore(":memory:");
    runtime.attach(store);
    for (const [code, token, subject] of [["c1", "t1", "alice"], ["c2", "t2", "alice"], ["c3", "t3", "bob"]] as const) {
      await store.oauthGrants.saveCode({ codeHash: code, clientId: "flytectl", redirectUri: "http://localhost:53593/callback", codeChallenge: "", scopes: ["all"], subject, userInfo: {}, createdAt: T0, expiresAt: new Date(T0.getTime() + 300_000) });
      expect(await store.oauthGrants.redeemCode(code, T0, refresh(token, subject))).toBe(true);
    }
    expect(await runtime.revokeUserGrants("alice")).toBe(2);
    expect(await runtime.revokeUserGrants("alice")).toBe(0);
    expect((await store.oauthGrants.getRefreshToken("t3"))?.revokedAt).toBeUndefined();
  });
});

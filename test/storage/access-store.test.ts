import { afterEach, describe, expect, it } from "vitest";
import type { RoleBinding } from "../../src/storage/access-store.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import type { Store } from "../../src/storage/store.js";
import { backends } from "../helpers/backends.js";

const T0 = new Date("2026-03-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const key = (id: string, over: Partial<Parameters<Store["apiKeys"]["create"]>[0]> = {}) => ({
  id,
  secretSha256: "ab".repeat(32),
  ownerSubject: "alice",
  serviceAccount: undefined,
  description: "",
  createdAt: T0,
  expiresAt: undefined,
  ...over,
});
const binding = (over: Partial<RoleBinding>): RoleBinding => ({
  subjectKind: "user",
  subject: "alice",
  project: "p",
  domain: "*",
  role: "viewer",
  createdAt: T0,
  createdBy: "test",
  ...over,
});

describe.each(backends)("API keys and role bindings on $name", ({ open }) => {
  let store: Store;
  afterEach(async () => store?.close());

  it("stores a key once per id and reads it back as stored", async () => {
    store = createSqlStore(await open());
    expect(await store.apiKeys.create(key("aaaaaaaaaaaa", { serviceAccount: "ci-bot", description: "nightly", expiresAt: at(60) }))).toBe(true);
    expect(await store.apiKeys.create(key("aaaaaaaaaaaa", { ownerSubject: "mallory" }))).toBe(false);
    expect(await store.apiKeys.get("aaaaaaaaaaaa")).toEqual({
      id: "aaaaaaaaaaaa",
      secretSha256: "ab".repeat(32),
      ownerSubject: "alice",
      serviceAccount: "ci-bot",
      description: "nightly",
      createdAt: T0,
      expiresAt: at(60),
      lastUsedAt: undefined,
      revokedAt: undefined,
    });
    expect(await store.apiKeys.get("bbbbbbbbbbbb")).toBeUndefined();
  });

  it("revokes once, keeping the first time, and tells a missing key apart", async () => {
    store = createSqlStore(await open());
    await store.apiKeys.create(key("aaaaaaaaaaaa"));
    expect(await store.apiKeys.revoke("aaaaaaaaaaaa", at(10))).toBe("revoked");
    expect(await store.apiKeys.revoke("aaaaaaaaaaaa", at(20))).toBe("already");
    expect(await store.apiKeys.revoke("bbbbbbbbbbbb", at(20))).toBe("missing");
    expect((await store.apiKeys.get("aaaaaaaaaaaa"))?.revokedAt).toEqual(at(10));
  });

  it("writes last use at most once per interval", async () => {
    store = createSqlStore(await open());
    await store.apiKeys.create(key("aaaaaaaaaaaa"));
    expect(await store.apiKeys.touch("aaaaaaaaaaaa", at(0), 60_000)).toBe(true);
    expect(await store.apiKeys.touch("aaaaaaaaaaaa", at(59), 60_000)).toBe(false);
    expect((await store.apiKeys.get("aaaaaaaaaaaa"))?.lastUsedAt).toEqual(at(0));
    expect(await store.apiKeys.touch("aaaaaaaaaaaa", at(60), 60_000)).toBe(true);
    expect((await store.apiKeys.get("aaaaaaaaaaaa"))?.lastUsedAt).toEqual(at(60));
    expect(await store.apiKeys.touch("bbbbbbbbbbbb", at(60), 60_000)).toBe(false);
  });

  it("of concurrent uses within one interval, records one", async () => {
    store = createSqlStore(await open());
    await store.apiKeys.create(key("aaaaaaaaaaaa"));
    const wrote = await Promise.all(Array.from({ length: 8 }, () => store.apiKeys.touch("aaaaaaaaaaaa", at(5), 60_000)));
    expect(wrote.filter(Boolean)).toHaveLength(1);
  });

  it("lists keys newest first, by owner, revoked ones on request", async () => {
    store = createSqlStore(await open());
    await store.apiKeys.create(key("aaaaaaaaaaaa", { createdAt: at(1) }));
    await store.apiKeys.create(key("bbbbbbbbbbbb", { createdAt: at(2), ownerSubject: "bob" }));
    await store.apiKeys.create(key("cccccccccccc", { createdAt: at(3) }));
    await store.apiKeys.revoke("cccccccccccc", at(4));
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
    expect(ids(await store.apiKeys.list({ includeRevoked: false, limit: 10 }))).toEqual(["bbbbbbbbbbbb", "aaaaaaaaaaaa"]);
    expect(ids(await store.apiKeys.list({ includeRevoked: true, limit: 10 }))).toEqual(["cccccccccccc", "bbbbbbbbbbbb", "aaaaaaaaaaaa"]);
    expect(ids(await store.apiKeys.list({ owner: "alice", includeRevoked: true, limit: 10 }))).toEqual(["cccccccccccc", "aaaaaaaaaaaa"]);
    expect(ids(await store.apiKeys.list({ includeRevoked: true, limit: 1 }))).toEqual(["cccccccccccc"]);
  });

  it("grants a binding once, finds it by principal, and revokes it", async () => {
    store = createSqlStore(await open());
    expect(await store.roleBindings.grant(binding({}))).toBe(true);
    expect(await store.roleBindings.grant(binding({ createdBy: "someone else" }))).toBe(false);
    expect(await store.roleBindings.grant(binding({ role: "admin" }))).toBe(true);
    expect(await store.roleBindings.grant(binding({ subjectKind: "group", subject: "ml", project: "*", role: "contributor" }))).toBe(true);
    expect(await store.roleBindings.grant(binding({ subjectKind: "app", subject: "alice", role: "system" }))).toBe(true);
    expect(await store.roleBindings.grant(binding({ subject: "bob" }))).toBe(true);

    const found = await store.roleBindings.forPrincipals([
      { kind: "user", subject: "alice" },
      { kind: "user", subject: "alice@example.com" },
      { kind: "group", subject: "ml" },
    ]);
    expect(found.map((b) => `${b.subjectKind}:${b.subject}:${b.project}/${b.domain}:${b.role}`).sort()).toEqual([
      "group:ml:*/*:contributor",
      "user:alice:p/*:admin",
      "user:alice:p/*:viewer",
    ]);
    expect(found.find((b) => b.role === "viewer")).toEqual(binding({}));
    expect(await store.roleBindings.forPrincipals([])).toEqual([]);

    expect(await store.roleBindings.revoke({ subjectKind: "user", subject: "alice", project: "p", domain: "*", role: "admin" })).toBe(true);
    expect(await store.roleBindings.revoke({ subjectKind: "user", subject: "alice", project: "p", domain: "*", role: "admin" })).toBe(false);
    expect((await store.roleBindings.forPrincipals([{ kind: "user", subject: "alice" }])).map((b) => b.role)).toEqual(["viewer"]);
  });

  it("lists bindings in key order, narrowed by kind, subject and project", async () => {
    store = createSqlStore(await open());
    await store.roleBindings.grant(binding({ subject: "bob", project: "q" }));
    await store.roleBindings.grant(binding({ subjectKind: "app", subject: "bot", project: "*", role: "system" }));
    await store.roleBindings.grant(binding({}));
    await store.roleBindings.grant(binding({ domain: "development", role: "contributor" }));
    const text = (rows: RoleBinding[]) => rows.map((b) => `${b.subjectKind}:${b.subject}:${b.project}/${b.domain}:${b.role}`);
    expect(text(await store.roleBindings.list({ limit: 10 }))).toEqual([
      "app:bot:*/*:system",
      "user:alice:p/*:viewer",
      "user:alice:p/development:contributor",
      "user:bob:q/*:viewer",
    ]);
    expect(text(await store.roleBindings.list({ subject: "alice", limit: 10 }))).toEqual(["user:alice:p/*:viewer", "user:alice:p/development:contributor"]);
    expect(text(await store.roleBindings.list({ subjectKind: "app", limit: 10 }))).toEqual(["app:bot:*/*:system"]);
    expect(text(await store.roleBindings.list({ project: "q", limit: 10 }))).toEqual(["user:bob:q/*:viewer"]);
    expect(text(await store.roleBindings.list({ limit: 1 }))).toEqual(["app:bot:*/*:system"]);
  });
});

import { describe, expect, it } from "vitest";
import { defaultRbacConfig, parseRbacConfig, RbacConfigError } from "../../src/auth/rbac-config.js";

describe("auth.rbac configuration", () => {
  it("is off with nothing configured", () => {
    expect(parseRbacConfig(undefined)).toEqual({ enabled: false, superAdmins: [], defaultRole: "none", groupsClaim: "", projectCreation: "admins", cacheTtlMs: 10_000 });
    expect(parseRbacConfig({})).toEqual(defaultRbacConfig());
  });

  it("reads every key from a mapping or its JSON", () => {
    const mapping = {
      enabled: true,
      superAdmins: ["alice@example.com", " bob ", "alice@example.com", ""],
      defaultRole: "viewer",
      groupsClaim: "groups",
      projectCreation: "authenticated",
      cacheTtl: "30s",
    };
    const expected = {
      enabled: true,
      superAdmins: ["alice@example.com", "bob"],
      defaultRole: "viewer",
      groupsClaim: "groups",
      projectCreation: "authenticated",
      cacheTtlMs: 30_000,
    };
    expect(parseRbacConfig(mapping)).toEqual(expected);
    expect(parseRbacConfig(JSON.stringify(mapping))).toEqual(expected);
    expect(parseRbacConfig({ enabled: "yes", superAdmins: "a, b", cacheTtl: 0 })).toMatchObject({ enabled: true, superAdmins: ["a", "b"], cacheTtlMs: 0 });
  });

  it("refuses what it does not understand, naming the key", () => {
    const refused = (raw: unknown) => {
      try {
        parseRbacConfig(raw);
      } catch (e) {
        expect(e).toBeInstanceOf(RbacConfigError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(raw)}`);
    };
    expect(refused({ enable: true })).toContain("unknown key enable");
    expect(refused({ defaultRole: "admin" })).toBe('auth.rbac.defaultRole: expected one of none, viewer, contributor, got "admin"');
    expect(refused({ projectCreation: "anyone" })).toContain("auth.rbac.projectCreation: expected one of admins, authenticated");
    expect(refused({ enabled: "maybe" })).toContain("auth.rbac.enabled: expected true or false");
    expect(refused({ superAdmins: [1] })).toContain("auth.rbac.superAdmins: expected a list");
    expect(refused({ groupsClaim: ["groups"] })).toContain("auth.rbac.groupsClaim");
    expect(refused({ cacheTtl: "10 minutes" })).toContain("auth.rbac.cacheTtl: expected an age");
    expect(refused({ cacheTtl: "1h" })).toContain("at most 5m");
    expect(refused("{not json")).toContain("auth.rbac: expected a mapping or its JSON");
    expect(refused([])).toContain("auth.rbac: expected a mapping");
  });
});

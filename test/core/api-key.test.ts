import { describe, expect, it } from "vitest";
import { API_KEY_LENGTH, formatApiKey, newApiKey, parseApiKey, secretDigest } from "../../src/core/api-key.js";
import { seededRandom } from "../helpers/seeded-random.js";

describe("API key text", () => {
  it("formats and parses back a fresh key, whatever underscores its secret holds", () => {
    const random = seededBytes(7);
    let withUnderscore = 0;
    for (let i = 0; i < 200; i++) {
      const parts = newApiKey(random);
      const text = formatApiKey(parts);
      expect(text).toHaveLength(API_KEY_LENGTH);
      expect(text).toMatch(/^fak_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
      expect(parseApiKey(text)).toEqual(parts);
      if (parts.secret.includes("_")) withUnderscore++;
    }
    expect(withUnderscore).toBeGreaterThan(0);
  });

  it("splits by position: a secret starting with underscores stays whole", () => {
    const secret = `__${"A".repeat(40)}w`;
    expect(parseApiKey(`fak_abcdefghijk2_${secret}`)).toEqual({ id: "abcdefghijk2", secret });
  });

  it("refuses anything else", () => {
    const good = `fak_abcdefghijk2_${"A".repeat(43)}`;
    expect(parseApiKey(good)).toBeDefined();
    for (const bad of [
      "",
      "fak_",
      good.slice(0, -1), // truncated
      `${good}A`, // too long
      good.replace("fak_", "FAK_"),
      good.replace("abcdefghijk2", "ABCDEFGHIJK2"), // id is lower-case base32
      good.replace("abcdefghijk2", "abcdefghijk1"), // 1 is not base32
      good.replace("2_", "2-"), // separator
      `${good.slice(0, -1)}B`, // a last character no 32 bytes end with
      `${good.slice(0, -2)}=A`,
      `fak_abcdefghijk2_${"A".repeat(42)}\u00e9`,
    ]) {
      expect(parseApiKey(bad), bad).toBeUndefined();
    }
  });

  it("draws the id from 60 bits and the secret from 32 bytes", () => {
    const calls: number[] = [];
    const parts = newApiKey((n) => (calls.push(n), Buffer.alloc(n, 0xff)));
    expect(calls).toEqual([8, 32]);
    expect(parts.id).toBe("777777777777");
    expect(Buffer.from(parts.secret, "base64url")).toEqual(Buffer.alloc(32, 0xff));
  });

  it("stores the secret's SHA-256 in hex", () => {
    expect(secretDigest("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

function seededBytes(seed: number): (n: number) => Buffer {
  const next = seededRandom(seed);
  return (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
}

import { describe, expect, it } from "vitest";
import { createLocalUrlSigner } from "../../src/blob/local-url-signer.js";
import { parseFlyteUrl } from "../../src/core/flyte-url.js";
import { goDurationString } from "../../src/core/go-duration.js";
import { base32, uploadKey } from "../../src/core/upload-location.js";

describe("flyte:// URLs", () => {
  it("parse FlyteAdmin's four forms", () => {
    expect(parseFlyteUrl("flyte://v1/p/d/e/n0/o")).toEqual({ project: "p", domain: "d", name: "e", nodeId: "n0", io: "o" });
    expect(parseFlyteUrl("flyte://v1/p/d/e/n0/i/x_1")).toEqual({ project: "p", domain: "d", name: "e", nodeId: "n0", io: "i", literal: "x_1" });
    expect(parseFlyteUrl("flyte://v1/p/d/e/n0/2/d")).toEqual({ project: "p", domain: "d", name: "e", nodeId: "n0", retryAttempt: 2, io: "d" });
    expect(parseFlyteUrl("flyte://v1/p/d/e/n0/2/o/y")).toMatchObject({ retryAttempt: 2, io: "o", literal: "y" });
  });

  it("refuse the rest", () => {
    for (const bad of ["flyte://v1/p/d/e/o", "flyte://v1/p/d/e/n0/x", "flyte://v1/p/d/e/n0/d/name", "flyte://v1/p/d/e/n.0/o", "flyte://v2/p/d/e/n0/o"]) {
      expect([bad, parseFlyteUrl(bad)]).toEqual([bad, undefined]);
    }
  });
});

describe("Go's duration text", () => {
  it("matches time.Duration.String", () => {
    const s = (n: bigint) => goDurationString(n);
    expect([s(0n), s(3_600_000_000_000n), s(7_200_000_000_000n), s(90_000_000_000n), s(1_500_000_000n)]).toEqual(["0s", "1h0m0s", "2h0m0s", "1m30s", "1.5s"]);
    expect([s(300_000_000n), s(1_500n), s(7n), s(-2_000_000_000n)]).toEqual(["300ms", "1.5µs", "7ns", "-2s"]);
  });
});

describe("upload locations", () => {
  it("name the folder by Go's padded standard base32 of the MD5", () => {
    expect(base32(new TextEncoder().encode("foobar"))).toBe("MZXW6YTBOI======");
    expect(base32(new TextEncoder().encode("fooba"))).toBe("MZXW6YTB");
    const md5 = new Uint8Array(16).fill(255);
    expect(uploadKey({ org: "", project: "p", domain: "d", filename: "", filenameRoot: "", contentMd5: md5 }, "f.tgz", "")).toBe(
      "p/d/77777777777777777777777774======/f.tgz",
    );
    expect(uploadKey({ org: "o", project: "p", domain: "d", filename: "", filenameRoot: "root", contentMd5: md5 }, "f", "pre")).toBe("pre/o/p/d/root/f");
  });
});

describe("locally signed URLs", () => {
  const signer = createLocalUrlSigner(new Uint8Array(32).fill(7));
  const pathOf = (url: string) => url.slice("http://h".length);

  it("grant exactly what was signed, until they expire", async () => {
    const { url, headers } = await signer.sign({ key: "a/b c/d=", method: "PUT", expiresAt: new Date(Date.now() + 60_000), contentMd5: new Uint8Array(16), origin: "http://h" });
    expect(headers).toEqual({ "Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA==" });
    const now = Date.now();
    expect(signer.verify("PUT", pathOf(url), now)).toMatchObject({ ok: true, grant: { key: "a/b c/d=", method: "PUT", contentMd5: "AAAAAAAAAAAAAAAAAAAAAA==" } });
    expect(signer.verify("PUT", pathOf(url), now + 61_000)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired at/) });
    expect(signer.verify("GET", pathOf(url), now)).toMatchObject({ ok: false });
    expect(signer.verify("PUT", pathOf(url).replace("md5=A", "md5=B"), now)).toMatchObject({ ok: false });
    expect(signer.verify("PUT", pathOf(url).replace(/expires=\d+/, "expires=99999999999"), now)).toMatchObject({ ok: false });
    // The signature is over the fields as a whole: moving text from the key into the expiry is no new grant.
    const download = await signer.sign({ key: "a/b\n99999999999999", method: "GET", expiresAt: new Date(now + 60_000), origin: "http://h" });
    const sig = new URL(download.url).searchParams.get("signature")!;
    expect(signer.verify("GET", `/dataproxy/blobs/a/b?expires=99999999999999&md5=${new URL(download.url).searchParams.get("expires")}%0A&signature=${sig}`, now)).toMatchObject({ ok: false });
    const other = createLocalUrlSigner(new Uint8Array(32).fill(8));
    expect(other.verify("PUT", pathOf(url), now)).toMatchObject({ ok: false });
  });
});

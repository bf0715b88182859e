import { createHmac, timingSafeEqual } from "node:crypto";
import type { SignedUrl, SignRequest, UrlSigner } from "./url-signer.js";

/** Where this server serves the blobs of its local store to holders of a signed URL. */
export const SIGNED_BLOB_PATH = "/dataproxy/blobs/";

/** What a signed URL grants, once its signature checks out. */
export interface SignedGrant {
  key: string;
  method: "PUT" | "GET";
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** Base64 MD5 the upload must have, when the URL was signed for one. */
  contentMd5?: string;
}

export type Verdict = { ok: true; grant: SignedGrant } | { ok: false; reason: string };

/**
 * Signed URLs for the local store, served by this server itself: an HMAC-SHA256
 * over method, key, expiry and MD5, so none of them can be changed by the holder.
 * The fields are MACed as a JSON array, so no two grants share an input (with a
 * plain separator, a key holding it could shift the other fields).
 */
export function createLocalUrlSigner(secret: Uint8Array): UrlSigner & { verify(method: string, pathAndQuery: string, nowMs: number): Verdict } {
  const mac = (g: SignedGrant) => createHmac("sha256", secret).update(JSON.stringify([g.method, g.key, g.expiresAt, g.contentMd5 ?? null])).digest();

  return {
    async sign(r: SignRequest): Promise<SignedUrl> {
      const expiresAt = r.expiresAt.getTime();
      const contentMd5 = r.method === "PUT" && r.contentMd5?.length ? Buffer.from(r.contentMd5).toString("base64") : undefined;
      const grant = { key: r.key, method: r.method, expiresAt, ...(contentMd5 ? { contentMd5 } : {}) };
      const query = new URLSearchParams({ expires: String(expiresAt) });
      if (contentMd5) query.set("md5", contentMd5);
      query.set("signature", mac(grant).toString("base64url"));
      const path = r.key.split("/").map(encodeURIComponent).join("/");
      return { url: `${r.origin}${SIGNED_BLOB_PATH}${path}?${query}`, headers: contentMd5 ? { "Content-MD5": contentMd5 } : {} };
    },

    verify(method: string, pathAndQuery: string, nowMs: number): Verdict {
      const url = new URL(pathAndQuery, "http://signed");
      const verb = method === "HEAD" ? "GET" : method;
      if (verb !== "PUT" && verb !== "GET") return { ok: false, reason: `method ${method} is not allowed on a signed URL` };
      let key: string;
      try {
        key = url.pathname.slice(SIGNED_BLOB_PATH.length).split("/").map(decodeURIComponent).join("/");
      } catch {
        return { ok: false, reason: "the URL's path is malformed" };
      }
      const expires = url.searchParams.get("expires") ?? "";
      const signature = url.searchParams.get("signature") ?? "";
      const contentMd5 = url.searchParams.get("md5") ?? undefined;
      if (!/^\d{1,15}$/.test(expires) || signature === "") return { ok: false, reason: "the URL is not signed" };
      const grant: SignedGrant = { key, method: verb, expiresAt: Number(expires), ...(contentMd5 !== undefined ? { contentMd5 } : {}) };
      const given = Buffer.from(signature, "base64url");
      const expected = mac(grant);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { ok: false, reason: `the signature does not match this ${verb} request` };
      }
      if (grant.expiresAt <= nowMs) return { ok: false, reason: `the signed URL expired at ${new Date(grant.expiresAt).toISOString()}` };
      return { ok: true, grant };
    },
  };
}

import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type OAuth2MetadataResponse, OAuth2MetadataResponseSchema } from "../../gen/flyteidl/service/auth_pb.js";
import { endpointOf } from "../core/public-url.js";

/**
 * The self-hosted server's RFC 8414 metadata for one public URL, FlyteAdmin's
 * fields: endpoints under that URL, the issuer configured or that URL.
 * Only the grants served are listed, and both ways of sending client
 * credentials that the token endpoint takes. No authorization endpoint until
 * browser login is configured: a client then fails at once instead of
 * opening a browser on a page that does not exist.
 */
export function selfMetadata(publicUrl: string, issuer: string, grants: readonly string[], authorizationEndpoint = ""): OAuth2MetadataResponse {
  return create(OAuth2MetadataResponseSchema, {
    issuer: issuer || publicUrl,
    authorizationEndpoint,
    tokenEndpoint: endpointOf(publicUrl, "/oauth2/token"),
    jwksUri: endpointOf(publicUrl, "/oauth2/jwks"),
    responseTypesSupported: ["code", "token", "code token"],
    scopesSupported: ["all"],
    tokenEndpointAuthMethodsSupported: ["client_secret_basic", "client_secret_post"],
    codeChallengeMethodsSupported: ["S256"],
    grantTypesSupported: [...grants],
    deviceAuthorizationEndpoint: "",
  });
}

export interface ExternalMetadataOptions {
  baseUrl: string;
  /** Relative to baseUrl (FlyteAdmin's metadataUrl); default `.well-known/oauth-authorization-server`. */
  metadataUrl: string;
  retryAttempts: number;
  retryDelayMs: number;
  /** How long a fetched document is served before it is fetched again. */
  ttlMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A fetched metadata document: as the proto (what GetOAuth2Metadata answers) and the two fields token checks need. */
export interface ExternalMetadata {
  response: OAuth2MetadataResponse;
  issuer: string;
  jwksUri: string;
}

const MAX_DOCUMENT_BYTES = 1 << 20;

/** Where an external server's metadata is: baseUrl with a trailing slash, then the relative metadataUrl, as FlyteAdmin resolves it. */
export function externalMetadataUrl(baseUrl: string, metadataUrl: string): string {
  const base = new URL(baseUrl);
  base.pathname = `${base.pathname.replace(/\/+$/, "")}/`;
  return new URL(metadataUrl || ".well-known/oauth-authorization-server", base).toString();
}

/**
 * An external authorization server's metadata, proxied as FlyteAdmin does
 * (unknown fields dropped, retried on HTTP 401-511 and on network errors)
 * but cached for five minutes instead of fetched on every call, one fetch at
 * a time, and failing UNAVAILABLE instead of FlyteAdmin's UNKNOWN (which
 * flytekit takes for an authentication failure).
 */
export function createExternalMetadata(o: ExternalMetadataOptions): () => Promise<ExternalMetadata> {
  const url = externalMetadataUrl(o.baseUrl, o.metadataUrl);
  const ttlMs = o.ttlMs ?? 5 * 60_000;
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let cached: { value: ExternalMetadata; at: number } | undefined;
  let pending: Promise<ExternalMetadata> | undefined;

  const fetchOnce = async (): Promise<ExternalMetadata> => {
    let last = "";
    for (let attempt = 0; attempt <= o.retryAttempts; attempt++) {
      if (attempt > 0) await sleep(o.retryDelayMs);
      let res: Response;
      try {
        res = await fetch(url, { headers: { accept: "application/json" }, redirect: "follow", signal: AbortSignal.timeout(10_000) });
      } catch {
        // Not the error itself: it may name an address of the internal network.
        last = "it is unreachable";
        continue;
      }
      if (res.status >= 401 && res.status <= 511) {
        last = `HTTP ${res.status}`;
        await res.body?.cancel();
        continue;
      }
      if (res.status !== 200) throw unavailable(`HTTP ${res.status}`);
      return decode(await res.text());
    }
    throw unavailable(last);
  };

  return () => {
    if (cached && now() - cached.at < ttlMs) return Promise.resolve(cached.value);
    pending ??= fetchOnce()
      .then((value) => {
        cached = { value, at: now() };
        return value;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
}

function decode(text: string): ExternalMetadata {
  if (text.length > MAX_DOCUMENT_BYTES) throw unavailable("the document is larger than 1 MiB");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unavailable("the document is not JSON");
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw unavailable("the document is not a JSON object");
  let response: OAuth2MetadataResponse;
  try {
    response = fromJson(OAuth2MetadataResponseSchema, json as JsonValue, { ignoreUnknownFields: true });
  } catch {
    throw unavailable("the document's fields do not have the types RFC 8414 gives them");
  }
  return { response, issuer: response.issuer, jwksUri: response.jwksUri };
}

const unavailable = (why: string) => new ConnectError(`failed to get oauth metadata from the authorization server: ${why}`, Code.Unavailable);

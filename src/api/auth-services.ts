import { create, type DescService, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { type AuthMetadataService, type OAuth2MetadataResponse, PublicClientAuthConfigResponseSchema } from "../../gen/flyteidl/service/auth_pb.js";
import { type IdentityService, UserInfoResponseSchema } from "../../gen/flyteidl/service/identity_pb.js";
import { identityKey } from "../auth/identity.js";
import { protocolKey } from "../server/interceptors.js";

/**
 * FlyteAdmin with authentication off does not register AuthMetadataService
 * and IdentityService, so their callers get UNIMPLEMENTED "unknown service".
 * Registering them here with that answer keeps the behaviour while letting
 * reflection list them and the HTTP routes map to them.
 */
export function unknownService(service: DescService): Record<string, () => never> {
  const impl: Record<string, () => never> = {};
  for (const method of service.methods) {
    impl[method.localName] = () => {
      throw new ConnectError(`unknown service ${service.typeName}`, Code.Unimplemented);
    };
  }
  return impl;
}

export interface AuthMetadataOptions {
  /** The RFC 8414 document for the call: the self-hosted server's for its public URL, or the external server's. */
  metadata(ctx: HandlerContext): OAuth2MetadataResponse | Promise<OAuth2MetadataResponse>;
  /** What CLIs are told to use (`thirdPartyConfig.flyteClient`) and the metadata key their token goes in. */
  client: { clientId: string; redirectUri: string; scopes: readonly string[]; audience: string };
  authorizationMetadataKey: string;
}

/** AuthMetadataService with authentication on: what flytekit and the Go client ask, unauthenticated, before they get a token. */
export function authMetadataService(o: AuthMetadataOptions): ServiceImpl<typeof AuthMetadataService> {
  return {
    getOAuth2Metadata: (_req, ctx) => o.metadata(ctx),
    getPublicClientConfig: () =>
      create(PublicClientAuthConfigResponseSchema, {
        clientId: o.client.clientId,
        redirectUri: o.client.redirectUri,
        scopes: [...o.client.scopes],
        authorizationMetadataKey: o.authorizationMetadataKey,
        // FlyteAdmin never sets it.
        serviceHttpEndpoint: "",
        audience: o.client.audience,
      }),
  };
}

/**
 * IdentityService.UserInfo: the caller's user info (subject defaulting to the
 * token's `sub`) with every claim of its token. Over REST, as FlyteAdmin's
 * gateway does, also `X-User-Subject` and one `X-User-Claim-<Name>` header per
 * claim, the claim's JSON as value. An anonymous call (authentication not
 * required on its protocol) gets an empty answer, as in FlyteAdmin.
 */
export function identityService(): ServiceImpl<typeof IdentityService> {
  return {
    userInfo(_req, ctx) {
      const identity = ctx.values.get(identityKey);
      if (!identity) return create(UserInfoResponseSchema);
      const info = identity.userInfo ?? {};
      const subject = info.subject || identity.subject;
      // google.protobuf.Struct fields are plain JSON objects in protobuf-es.
      const claims = Object.keys(identity.claims).length > 0 ? (identity.claims as JsonObject) : undefined;
      if (ctx.values.get(protocolKey) === "rest") {
        ctx.responseHeader.set("x-user-subject", subject);
        for (const [name, value] of Object.entries(identity.claims)) {
          const header = `x-user-claim-${name.replace(/_/g, "-").toLowerCase()}`;
          if (/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) ctx.responseHeader.set(header, asciiJson(value));
        }
      }
      return create(UserInfoResponseSchema, {
        subject,
        name: info.name ?? "",
        preferredUsername: info.preferredUsername ?? "",
        givenName: info.givenName ?? "",
        familyName: info.familyName ?? "",
        email: info.email ?? "",
        picture: info.picture ?? "",
        ...(claims ? { additionalClaims: claims } : {}),
      });
    },
  };
}

/** JSON with everything outside printable ASCII escaped (still the same JSON value), so it is a valid header value. */
const asciiJson = (value: unknown) => JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

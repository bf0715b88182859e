/**
 * What the self-hosted authorization server keeps between requests of the
 * authorization_code and refresh_token grants: codes and refresh tokens,
 * each by the SHA-256 of its value (a leaked table yields nothing usable).
 * Both live in the shared database so every replica honours single use.
 */

/** An authorization code as stored. */
export interface OAuthCodeRow {
  readonly codeHash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** The PKCE S256 challenge; "" when a confidential client sent none. */
  readonly codeChallenge: string;
  readonly scopes: readonly string[];
  readonly subject: string;
  /** OIDC userinfo fields (`sub`, `name`, `email`, ...), for the access token's `user_info` claim. */
  readonly userInfo: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | undefined;
}

export type NewOAuthCode = Omit<OAuthCodeRow, "usedAt">;

/** A refresh token as stored. */
export interface OAuthRefreshTokenRow {
  readonly idHash: string;
  /** The tokens descending from one authorization code share it (the code's hash). */
  readonly family: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly userInfo: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | undefined;
  readonly revokedAt: Date | undefined;
}

export type NewOAuthRefreshToken = Omit<OAuthRefreshTokenRow, "usedAt" | "revokedAt">;

export interface OAuthGrantStore {
  saveCode(code: NewOAuthCode): Promise<void>;
  getCode(codeHash: string): Promise<OAuthCodeRow | undefined>;
  /**
   * Marks the code used at `now` if no one has (one conditional UPDATE) and,
   * in the same transaction, stores the first refresh token of its family
   * when one is given. False when the code was used already (or is gone):
   * another redemption won, nothing is written.
   */
  redeemCode(codeHash: string, now: Date, refresh: NewOAuthRefreshToken | undefined): Promise<boolean>;
  getRefreshToken(idHash: string): Promise<OAuthRefreshTokenRow | undefined>;
  /**
   * Marks the token used at `now` if it is neither used nor revoked (one
   * conditional UPDATE) and stores its successor in the same transaction.
   * False when it was used or revoked already: nothing is written.
   */
  rotateRefreshToken(idHash: string, now: Date, next: NewOAuthRefreshToken): Promise<boolean>;
  /** Revokes every live token of a family; returns how many. */
  revokeFamily(family: string, now: Date): Promise<number>;
  /** Revokes every live refresh token of a subject (logout); returns how many. */
  revokeSubject(subject: string, now: Date): Promise<number>;
  /** Deletes up to `limit` codes and up to `limit` refresh tokens that expired before `now`; returns how many rows went. */
  purgeExpired(now: Date, limit: number): Promise<number>;
}

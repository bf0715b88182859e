/**
 * Browser sessions (auth_sessions): one row per logged-in browser, keyed by
 * the SHA-256 of its cookie value, so the database never holds what a
 * browser sends. Every replica reads the same rows: a login on one is valid
 * on all, a logout on one ends it on all.
 */
export interface AuthSession {
  /** SHA-256 (hex) of the `flyte_session` cookie value. */
  readonly idHash: string;
  readonly subject: string;
  readonly idToken: string;
  readonly accessToken: string;
  /** "" when the provider gave none: the session then ends when its tokens expire. */
  readonly refreshToken: string;
  /** The provider's userinfo answer as it came. */
  readonly userInfo: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  /** When the session ends whatever its tokens say. */
  readonly expiresAt: Date;
  /** When the ID or access token expires, whichever is first: past it the session refreshes or ends. */
  readonly tokensExpireAt: Date;
  readonly lastSeenAt: Date;
}

/** What a refresh at the provider replaces. */
export type SessionTokens = Pick<AuthSession, "idToken" | "accessToken" | "refreshToken" | "userInfo" | "tokensExpireAt">;

export interface SessionStore {
  create(session: AuthSession): Promise<void>;
  get(idHash: string): Promise<AuthSession | undefined>;
  /** Replaces the tokens after a refresh; false when the session is gone (logged out meanwhile). */
  updateTokens(idHash: string, tokens: SessionTokens): Promise<boolean>;
  /** Records a use unless one was recorded less than `minIntervalMs` before; true when it wrote. */
  touch(idHash: string, now: Date, minIntervalMs: number): Promise<boolean>;
  /** Deletes the session; false when there was none. */
  delete(idHash: string): Promise<boolean>;
  /** Deletes at most `limit` sessions that ended before `now`; returns how many. */
  purgeExpired(now: Date, limit: number): Promise<number>;
}

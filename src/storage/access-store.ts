/**
 * What authentication and authorization keep in the database: API keys and
 * role bindings. Both are read on the request path (a key per call, bindings
 * per principal through a short cache), so each read is one indexed query.
 */

/** One API key as stored: never its secret, only the secret's SHA-256 (hex). */
export interface ApiKeyRow {
  readonly id: string;
  readonly secretSha256: string;
  readonly ownerSubject: string;
  /** The app the key acts as, when it was issued for one; otherwise it acts as its owner. */
  readonly serviceAccount: string | undefined;
  readonly description: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
  readonly lastUsedAt: Date | undefined;
  readonly revokedAt: Date | undefined;
}

export type NewApiKey = Omit<ApiKeyRow, "lastUsedAt" | "revokedAt">;

/** What revoking found: done now, no such key, or a key revoked before. */
export type RevokeResult = "revoked" | "missing" | "already";

export interface ApiKeyStore {
  /** Inserts a key; false when its id is taken (the caller draws another). */
  create(key: NewApiKey): Promise<boolean>;
  get(id: string): Promise<ApiKeyRow | undefined>;
  /** Keys newest first, of one owner when given; revoked ones only with `includeRevoked`; at most `limit`. */
  list(query: { owner?: string | undefined; includeRevoked: boolean; limit: number }): Promise<ApiKeyRow[]>;
  /** Marks the key revoked at `at`; an already revoked key keeps its first revocation time. */
  revoke(id: string, at: Date): Promise<RevokeResult>;
  /**
   * Records a use at `now` unless one was recorded less than `minIntervalMs`
   * before (one conditional UPDATE, so concurrent calls on several replicas
   * write at most once per interval); true when it wrote.
   */
  touch(id: string, now: Date, minIntervalMs: number): Promise<boolean>;
}

/** What a binding names: "user" (a subject or an email), "app" (a client id or service account) or "group". */
export type SubjectKind = "user" | "app" | "group";
export const SUBJECT_KINDS: readonly SubjectKind[] = ["user", "app", "group"];

/** The identifying fields of a binding (the unique key). Project and domain are "*" for all. */
export interface BindingKey {
  readonly subjectKind: SubjectKind;
  readonly subject: string;
  readonly project: string;
  readonly domain: string;
  readonly role: string;
}

export interface RoleBinding extends BindingKey {
  readonly createdAt: Date;
  readonly createdBy: string;
}

/** A principal a binding may name. */
export interface Principal {
  readonly kind: SubjectKind;
  readonly subject: string;
}

export interface RoleBindingStore {
  /** Adds a binding; false when the same one exists already (nothing changes). */
  grant(binding: RoleBinding): Promise<boolean>;
  /** Removes a binding; false when there was none. */
  revoke(key: BindingKey): Promise<boolean>;
  /** Every binding naming one of the principals (any project). */
  forPrincipals(principals: readonly Principal[]): Promise<RoleBinding[]>;
  /** Bindings ordered by subject kind, subject, project, domain and role, narrowed by what is given; at most `limit`. */
  list(query: { subjectKind?: SubjectKind | undefined; subject?: string | undefined; project?: string | undefined; limit: number }): Promise<RoleBinding[]>;
}

/** RFC 6749 §5.2 error codes the token endpoint answers with. */
export type OAuthErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client" | "unsupported_grant_type" | "invalid_scope" | "temporarily_unavailable";

/** A refused token request: its RFC 6749 §5.2 JSON body and HTTP status (401 for invalid_client, 503 while the database is not attached). */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    /** For invalid_client after HTTP Basic: the challenge RFC 6749 §5.2 requires. */
    readonly basicChallenge = false,
  ) {
    super(description);
    this.name = "OAuthError";
  }

  get status(): number {
    return this.code === "invalid_client" ? 401 : this.code === "temporarily_unavailable" ? 503 : 400;
  }

  body(): string {
    return JSON.stringify({ error: this.code, error_description: this.description });
  }
}

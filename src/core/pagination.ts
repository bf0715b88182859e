import { invalidArgument, invalidValue } from "./errors.js";

/**
 * A page token is the decimal offset of the next page (FlyteAdmin's
 * ValidateToken): "" is 0; otherwise Go's strconv.Atoi rules (optional sign,
 * digits only, 64-bit range) and not negative. `op` names the operation in
 * the error, as FlyteAdmin does per RPC (`invalid pagination token x for ListProjects`).
 */
export function parseToken(token: string, op?: string): number {
  if (token === "") return 0;
  const bad = () => invalidArgument(`invalid pagination token ${token}${op ? ` for ${op}` : ""}`);
  if (!/^[+-]?\d+$/.test(token)) throw bad();
  const value = BigInt(token);
  if (value < 0n || value > 9223372036854775807n) throw bad();
  // Offsets past the largest safe integer can only address empty pages.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** Lists other than ListProjects require a positive limit. */
export function requireLimit(limit: number): number {
  if (limit <= 0) throw invalidValue("limit");
  return limit;
}

/**
 * The next token is `offset + page length` only when the page was full
 * (FlyteAdmin's rule, kept because clients page until the token is empty: an
 * exact multiple of the limit yields one extra, empty page).
 */
export function nextToken(offset: number, pageLength: number, limit: number): string {
  return pageLength === limit ? String(offset + pageLength) : "";
}

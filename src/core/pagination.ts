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
  // Leading zeros dropped, an int64 has at most 19 digits: a longer number is out of range
  // without being converted (BigInt of a long digit string costs more than linear time).
  const sign = token[0] === "-" ? "-" : "";
  const first = token.search(/[1-9]/);
  const digits = first < 0 ? "0" : token.slice(first);
  if (digits.length > 19) throw bad();
  const value = BigInt(sign + digits);
  if (value < 0n || value > 9223372036854775807n) throw bad();
  // Offsets past the largest safe integer can only address empty pages.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/**
 * Lists other than ListProjects require a positive limit (FlyteAdmin's
 * ValidateLimit). FlyteAdmin v1.16.8 has no upper bound: `limit` is a uint32
 * passed straight to the query's LIMIT, so a client may ask for every row at
 * once (one call of ~4 billion). Here a limit above the configured page size
 * (maxPageSize) is refused with INVALID_ARGUMENT rather than clamped: a client
 * that asked for everything and silently got a page would take it for the
 * whole list whenever it ignores the token, while a refusal says what to do.
 */
export function requireLimit(limit: number, maxPageSize: number | undefined): number {
  if (limit <= 0) throw invalidValue("limit");
  checkPageSize(limit, maxPageSize);
  return limit;
}

/** A limit above the server's maximum page size; `undefined` or 0 sets no maximum (as FlyteAdmin has none). */
export function checkPageSize(limit: number, maxPageSize: number | undefined): void {
  if (maxPageSize !== undefined && maxPageSize > 0 && limit > maxPageSize) {
    throw invalidArgument(`invalid value for limit: ${limit} is more than the maximum page size of ${maxPageSize}; ask for at most ${maxPageSize} and follow the token for more`);
  }
}

/**
 * The next token is `offset + page length` only when the page was full
 * (FlyteAdmin's rule, kept because clients page until the token is empty: an
 * exact multiple of the limit yields one extra, empty page).
 */
export function nextToken(offset: number, pageLength: number, limit: number): string {
  return pageLength === limit ? String(offset + pageLength) : "";
}

/**
 * FlyteAdmin's names for schedules and their executions (flyteadmin/scheduler/identifier).
 * The execution name is the idempotency key of a scheduled run: every replica, and FlyteAdmin
 * itself, derives the same name for the same launch plan version and tick, so a second create
 * of a tick fails with ALREADY_EXISTS instead of running twice. It must match to the bit.
 */

export interface LaunchPlanKey {
  project: string;
  domain: string;
  name: string;
  version: string;
}

const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK_64 = (1n << 64n) - 1n;
const utf8 = new TextEncoder();

/** FNV-1 (multiply, then XOR; not FNV-1a) 64-bit of the text's UTF-8 bytes, as Go's hash/fnv New64. */
export function fnv1Hash64(text: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of utf8.encode(text)) h = ((h * FNV_PRIME) & MASK_64) ^ BigInt(byte);
  return h;
}

const keyText = (lp: LaunchPlanKey) => `${lp.project}:${lp.domain}:${lp.name}:${lp.version}`;

/** Decimal FNV-1 64 of "project:domain:name:version": FlyteAdmin's schedule name, for logs and the CLI. */
export function scheduleName(lp: LaunchPlanKey): string {
  return fnv1Hash64(keyText(lp)).toString(10);
}

/**
 * The execution name for a tick: FNV-1 64 of "project:domain:name:version:<unix seconds>" written
 * little-endian into the first 8 of 16 zero bytes, read as a UUID without dashes, and cut to "f" +
 * 19 hex digits, so always 16 hash digits followed by "000".
 */
export function scheduledExecutionName(lp: LaunchPlanKey, tick: Date): string {
  // Go's Time.Unix rounds toward the past, as Math.floor does.
  const h = fnv1Hash64(`${keyText(lp)}:${Math.floor(tick.getTime() / 1000)}`);
  let hex = "";
  for (let i = 0n; i < 8n; i++) hex += ((h >> (8n * i)) & 0xffn).toString(16).padStart(2, "0");
  return `f${hex}000`;
}

// TEMPORARY stand-in for the pure tick math landing on main; replaced at merge.
const OFFSET = 14695981039346656037n;
const PRIME = 1099511628211n;
const MASK = (1n << 64n) - 1n;

function fnv1(text: string): bigint {
  let h = OFFSET;
  for (const b of Buffer.from(text, "utf8")) h = ((h * PRIME) & MASK) ^ BigInt(b);
  return h;
}

type LpKey = { project: string; domain: string; name: string; version: string };

export function scheduledExecutionName(lp: LpKey, tick: Date): string {
  const h = fnv1(`${lp.project}:${lp.domain}:${lp.name}:${lp.version}:${Math.floor(tick.getTime() / 1000)}`);
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64LE(h, 0);
  return `f${bytes.toString("hex").slice(0, 19)}`;
}

export function scheduleName(lp: LpKey): string {
  return fnv1(`${lp.project}:${lp.domain}:${lp.name}:${lp.version}`).toString(10);
}

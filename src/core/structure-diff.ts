/**
 * A readable difference between two JSON documents, one block per path that
 * differs, in the layout FlyteAdmin uses for "different structure" errors:
 * `/path:\n\t- <old> \n\t+ <new>`, blocks joined by newlines. Absent values
 * print as `<nil>`.
 */
export function structureDiff(before: unknown, after: unknown): string {
  const blocks: string[] = [];
  walk("", before, after, blocks);
  return blocks.join("\n");
}

const MAX_BLOCKS = 50;

function walk(path: string, a: unknown, b: unknown, out: string[]): void {
  if (out.length >= MAX_BLOCKS) return;
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      walk(`${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`, a[key], b[key], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(`${path}/${i}`, a[i], b[i], out);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push(`${path || "/"}:\n\t- ${show(a)} \n\t+ ${show(b)}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? "<nil>" : typeof v === "string" ? v : JSON.stringify(v));

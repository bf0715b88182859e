/** The content codings the server compresses static files with, best first. */
export type ContentCoding = "br" | "gzip";

/**
 * The coding to answer with for an Accept-Encoding header (RFC 9110 §12.5.3):
 * the acceptable one with the highest weight, brotli winning ties (smaller), and
 * identity when neither br nor gzip is acceptable. `*` stands for codings not
 * named; `q=0` refuses one.
 */
export function preferredCoding(header: string | string[] | undefined): ContentCoding | "identity" {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  // Bounded: a header is at most 16 KiB and only the first few dozen entries matter.
  const weights = new Map<string, number>();
  for (const part of text.split(",").slice(0, 64)) {
    const [name, ...params] = part.split(";");
    const coding = name!.trim().toLowerCase();
    if (coding === "") continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
      if (m) q = Math.min(1, Number(m[1]));
    }
    weights.set(coding, q);
  }
  const weight = (c: ContentCoding) => weights.get(c) ?? (c === "gzip" ? weights.get("x-gzip") : undefined) ?? weights.get("*") ?? 0;
  const br = weight("br");
  const gzip = weight("gzip");
  if (br <= 0 && gzip <= 0) return "identity";
  return br >= gzip ? "br" : "gzip";
}

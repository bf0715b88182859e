import { BadRequest } from "./request.js";

const HEX = /^[0-9a-fA-F]{2}$/;

/** One query component decoded as Go's url.QueryUnescape does: `+` is a space, a bad `%` escape is an error. */
function unescape(text: string): string {
  for (let i = text.indexOf("%"); i !== -1; i = text.indexOf("%", i + 1)) {
    if (!HEX.test(text.slice(i + 1, i + 3))) throw new BadRequest(`invalid URL escape ${JSON.stringify(text.slice(i, i + 3))}`);
  }
  // Runs of escapes become bytes, the text between them its UTF-8; then the whole is read as UTF-8.
  const parts = text.replaceAll("+", " ").split(/((?:%[0-9a-fA-F]{2})+)/);
  return Buffer.concat(parts.map((p, i) => (i % 2 === 1 ? Buffer.from(p.replaceAll("%", ""), "hex") : Buffer.from(p, "utf8")))).toString("utf8");
}

/**
 * A query string or form body parsed as grpc-gateway's handlers parse it
 * (Go's url.ParseQuery behind Request.ParseForm): `&`-separated pairs, and a
 * `;` separator or malformed escape fails the whole request with Go's
 * message, where URLSearchParams would silently keep the text.
 */
export function parseQuery(text: string): URLSearchParams {
  const out = new URLSearchParams();
  let first: BadRequest | undefined;
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    if (pair.includes(";")) {
      first ??= new BadRequest("invalid semicolon separator in query");
      continue;
    }
    const eq = pair.indexOf("=");
    try {
      out.append(unescape(eq === -1 ? pair : pair.slice(0, eq)), eq === -1 ? "" : unescape(pair.slice(eq + 1)));
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      first ??= e;
    }
  }
  if (first) throw first;
  return out;
}

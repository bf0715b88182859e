/**
 * Go's two ways of quoting a text inside an error message. FlyteAdmin's parser errors
 * (`strconv.Atoi: parsing "x": invalid syntax`, `time: invalid duration "x"`) reach clients
 * verbatim, so a text with a tab, a quote or a non-ASCII letter must be quoted as Go does,
 * which is not JSON's way.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" };
const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
// One replace over the text (not a loop that appends rune by rune): texts can be a megabyte long.
const NOT_PLAIN_ASCII = /["\\]|[^ -~]/gu;

/** strconv.Quote: printable runes as they are (unicode.IsPrint), the rest as \a…\v, \xNN, \uNNNN or \UNNNNNNNN. */
export function goQuote(text: string): string {
  const escaped = text.replace(NOT_PLAIN_ASCII, (c) => {
    if (c === '"' || c === "\\") return `\\${c}`;
    if (PRINTABLE.test(c)) return c;
    if (SHORT_ESCAPES[c] !== undefined) return SHORT_ESCAPES[c];
    const cp = c.codePointAt(0)!;
    return cp < 0x80 ? `\\x${hex(cp, 2)}` : cp < 0x10000 ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
  });
  return `"${escaped}"`;
}

const utf8 = new TextEncoder();
const CONTROL_OR_NON_ASCII = /["\\]|[^ -\x7f]/gu;

/**
 * The time package's own quote (ParseDuration, LoadLocation): like strconv.Quote for plain
 * ASCII, but every control character and every non-ASCII rune is written as the \xNN escapes
 * of its UTF-8 bytes.
 */
export function goTimeQuote(text: string): string {
  const escaped = text.replace(CONTROL_OR_NON_ASCII, (c) => {
    if (c === '"' || c === "\\") return `\\${c}`;
    let out = "";
    for (const b of utf8.encode(c)) out += `\\x${hex(b, 2)}`;
    return out;
  });
  return `"${escaped}"`;
}

/**
 * Notification templates: FlyteAdmin's `{{ x }}` / `{{x}}` placeholders,
 * substituted in one pass with an escape chosen by where the text goes.
 */

/** The longest template (config subject, body, text, or a notification's `template`) that is rendered. */
export const MAX_TEMPLATE_CHARS = 64 * 1024;
/** The longest rendered text; past it the output is cut and ends with "…". */
export const MAX_RENDERED_CHARS = 256 * 1024;
/** The longest value put into a template (a huge error message is cut here). */
export const MAX_VALUE_CHARS = 4 * 1024;
/** The longest subject line: RFC 5322's line limit, so no header is folded mid-placeholder. */
export const MAX_SUBJECT_CHARS = 998;

// Exactly FlyteAdmin's two forms: one space on each side, or none. A mixed
// form (`{{ x}}`) is no placeholder for FlyteAdmin either. Names hold no
// braces, so each match attempt scans at most to the next `{` or `}`: linear.
const PLACEHOLDER = /\{\{( ?)([A-Za-z0-9_.]{1,64})\1\}\}/g;

/**
 * One pass over the template: `{{ x }}` and `{{x}}` replaced by
 * escape(values[x]); unknown placeholders left as they are; values never
 * re-expanded (a value holding `{{ name }}` stays literal, unlike FlyteAdmin's
 * replacement in map order). The output is cut at `maxChars`.
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
  escape: (s: string) => string = (s) => s,
  maxChars: number = MAX_RENDERED_CHARS,
): string {
  let produced = 0;
  const out = template.replace(PLACEHOLDER, (match, _space: string, key: string, offset: number) => {
    if (!Object.hasOwn(values, key)) return match;
    // Once the output is long enough, later values are dropped: the text is
    // cut below anyway, and this keeps memory at template + maxChars.
    if (offset + produced > maxChars) return "";
    const value = escape(values[key]!);
    produced += value.length - match.length;
    return value;
  });
  return truncate(out, maxChars);
}

/** `s` cut to at most `max` characters, ending with "…" when cut, never splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - 1);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}…`;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** For values in HTML bodies and attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/** For Slack mrkdwn: only `&`, `<` and `>` are control characters there. */
export function escapeSlack(s: string): string {
  return s.replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!);
}

/**
 * A rendered subject made safe as one header line: CR and LF (and other
 * control characters) become spaces, so no value can add a header, and the
 * length is capped.
 */
export function headerText(s: string): string {
  return truncate(s.replace(/[\u0000-\u001f\u007f]+/g, " "), MAX_SUBJECT_CHARS);
}

const BLOCK_END = /^\/?(?:br|p|div|tr|li|h[1-6]|table|ul|ol|blockquote|pre|hr)\b/i;
const NAMED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * The plain-text part of an email from its HTML body: tags dropped (block
 * tags become line breaks), common entities decoded, blank runs collapsed.
 * Not an HTML parser; good enough for clients that prefer text.
 */
export function htmlToText(html: string): string {
  // `<[^<>]*>`: a match attempt stops at the next `<`, so unclosed `<`s cost linear time.
  const stripped = html
    .replace(/<(?:script|style)\b[^<>]*>[^<]*<\/(?:script|style)\s*>/gi, "")
    .replace(/<([^<>]*)>/g, (_m, inner: string) => (BLOCK_END.test(inner) ? "\n" : ""));
  const decoded = stripped.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (m, ref: string) => {
    if (ref[0] !== "#") return NAMED[ref.toLowerCase()] ?? m;
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
  });
  return decoded
    .split("\n")
    .map((line) => line.replace(/[ \t\r\f\v]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

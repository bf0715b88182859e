/**
 * Raw webhook URLs in notification recipients. Launch-plan specs are readable
 * by every viewer and written by any registrant, so a URL there is only
 * posted to when the operator allows raw URLs and the URL starts with one of
 * the configured prefixes (the SSRF guard).
 */

/** The longest raw URL taken as a webhook target. */
export const MAX_WEBHOOK_URL_CHARS = 2048;

/** A recipient that names a webhook by URL rather than an email address or an alias. */
export function looksLikeUrl(recipient: string): boolean {
  return /^https?:\/\//i.test(recipient);
}

/**
 * The URL in WHATWG normal form (host lower-cased, dot segments resolved),
 * which is the exact string both checked and fetched; undefined when it does
 * not parse, is not http(s), carries credentials or is too long.
 */
export function normalizeWebhookUrl(raw: string): string | undefined {
  if (raw.length > MAX_WEBHOOK_URL_CHARS || !URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  // `https://hooks.slack.com@evil.example/` has the allowed text in its user part.
  if (url.username !== "" || url.password !== "") return undefined;
  return url.href;
}

/**
 * Whether a raw URL may be posted to: raw URLs enabled and the normalised URL
 * starting with an allowed prefix at a boundary, so that a prefix written
 * without its trailing slash (`https://hooks.slack.com`) does not also admit
 * `https://hooks.slack.com.evil.example/`.
 */
export function isAllowedUrl(raw: string, rules: { allowRawUrls: boolean; allowedUrlPrefixes: readonly string[] }): boolean {
  if (!rules.allowRawUrls) return false;
  const url = normalizeWebhookUrl(raw);
  if (url === undefined) return false;
  return rules.allowedUrlPrefixes.some((written) => {
    // The prefix in the same normal form (`https://Hooks.Slack.com` → `https://hooks.slack.com/`).
    const prefix = normalizeWebhookUrl(written) ?? written;
    if (prefix === "" || !url.startsWith(prefix)) return false;
    if (/[/?#]$/.test(prefix) || url.length === prefix.length) return true;
    return "/?#".includes(url[prefix.length]!);
  });
}

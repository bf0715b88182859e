/** Longest `redirect_url` looked at; a longer one is refused. */
export const MAX_REDIRECT_LENGTH = 2048;

/**
 * Whether `/login` and `/logout` may send a browser to `target` once done:
 * empty (the default applies), a path on this server (one leading `/`, not
 * `//` or `/\`, which browsers take for another host), or an absolute URL
 * with the scheme, host and port of one of the public URLs. FlyteAdmin checks
 * this on a fresh login only; here it is checked first, on every path, and on
 * `/logout` too, so neither is an open redirect.
 */
export function isAllowedRedirect(target: string, authorizedUris: readonly string[]): boolean {
  if (target === "") return true;
  if (target.length > MAX_REDIRECT_LENGTH || /[\u0000-\u001f\u007f\s]/.test(target)) return false;
  if (target.startsWith("/")) return !target.startsWith("//") && !target.startsWith("/\\");
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "") return false;
  return authorizedUris.some((allowed) => {
    try {
      return new URL(allowed).origin === url.origin;
    } catch {
      return false;
    }
  });
}

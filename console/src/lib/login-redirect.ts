import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** What the redirect needs from the browser: where the page is, how to leave it, and a little memory. */
export interface LoginPage {
  href(): string;
  origin(): string;
  navigate(url: string): void;
  /** Reads and writes a per-tab value (sessionStorage), so a refused login cannot loop. */
  recall(key: string): string | null;
  remember(key: string, value: string): void;
  now(): number;
}

const LAST_REDIRECT = "flyte-console-login-redirect";
// Sent to /login at most once in this long: if the server still refuses after a login, the page shows the error.
const LOOP_GUARD_MS = 15_000;

/** The server's login page, coming back to `href` (the page's absolute URL) once logged in. */
export const loginUrl = (origin: string, href: string) => `${origin}/login?redirect_url=${encodeURIComponent(href)}`;

/**
 * Sends the browser to the server's login when a call is refused as
 * unauthenticated, as FlyteConsole does on HTTP 401; the call's error still
 * reaches the page (which is being left). Not twice within a short while, so
 * a server whose login cannot help (none configured) shows its error instead.
 */
export function loginRedirectInterceptor(page: LoginPage): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      if (e instanceof ConnectError && e.code === Code.Unauthenticated) {
        const last = Number(page.recall(LAST_REDIRECT) ?? "0");
        if (!(page.now() - last < LOOP_GUARD_MS)) {
          page.remember(LAST_REDIRECT, String(page.now()));
          page.navigate(loginUrl(page.origin(), page.href()));
        }
      }
      throw e;
    }
  };
}

/** The browser's page, for the interceptor; undefined outside a browser. */
export function browserLoginPage(): LoginPage | undefined {
  const g = globalThis as {
    location?: { href: string; origin: string; assign(url: string): void };
    sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  };
  const location = g.location;
  if (!location) return undefined;
  return {
    href: () => location.href,
    origin: () => location.origin,
    navigate: (url) => location.assign(url),
    recall: (key) => {
      try {
        return g.sessionStorage?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    remember: (key, value) => {
      try {
        g.sessionStorage?.setItem(key, value);
      } catch {
        // Storage off: the guard then lasts only as long as the navigation takes.
      }
    },
    now: () => Date.now(),
  };
}

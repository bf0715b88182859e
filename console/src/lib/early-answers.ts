/**
 * Answers to calls sent before the page that needs them asked (see app/early-calls.ts), kept until
 * that page makes the same call: same URL, same request bytes. Each is handed out once, and only
 * while fresh, so a page opened later, or a poll, goes to the server as usual.
 */
export interface EarlyAnswers {
  /** Keeps the answer (message bytes, or undefined for a failed call) to a call just sent. */
  put(url: string, request: Uint8Array, answer: Promise<Uint8Array | undefined>): void;
  /** Whether any answer for this URL is kept: a cheap test before encoding a request to look it up. */
  expects(url: string): boolean;
  /** The answer to this exact call, removed from the store; undefined when none is kept or it is stale. */
  take(url: string, request: Uint8Array): Promise<Uint8Array | undefined> | undefined;
}

interface Kept {
  answer: Promise<Uint8Array | undefined>;
  sentAt: number;
}

/**
 * `maxAgeMs` bounds how old an answer may be when it is taken (counted from when its call was sent):
 * the console's queries treat data as fresh for 10 s, and an early answer should be no staler.
 */
export function createEarlyAnswers(options: { maxAgeMs: number; now?: () => number }): EarlyAnswers {
  const now = options.now ?? (() => Date.now());
  const kept = new Map<string, Kept>();
  const key = (url: string, request: Uint8Array) => `${url} ${Array.from(request, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  const prefix = (url: string) => `${url} `;
  return {
    put(url, request, answer) {
      kept.set(key(url, request), { answer, sentAt: now() });
    },
    expects(url) {
      const p = prefix(url);
      for (const k of kept.keys()) if (k.startsWith(p)) return true;
      return false;
    },
    take(url, request) {
      const k = key(url, request);
      const found = kept.get(k);
      kept.delete(k);
      // Stale ones go too: nothing will take them.
      const t = now();
      for (const [other, { sentAt }] of kept) if (t - sentAt > options.maxAgeMs) kept.delete(other);
      return found && t - found.sentAt <= options.maxAgeMs ? found.answer : undefined;
    },
  };
}

/**
 * Where the early script leaves its answers for the app. The two are built apart (the early script is
 * inline in the page, src/early.ts) and share no module, so they meet on the global object, under a
 * registered symbol no other script uses.
 */
const PUBLISHED = Symbol.for("flyteadmin-ts.console.earlyAnswers");

export function publishEarlyAnswers(scope: object, answers: EarlyAnswers): void {
  Object.defineProperty(scope, PUBLISHED, { value: answers, configurable: true });
}

/** The answers the early script published in `scope`, if it ran. */
export function publishedEarlyAnswers(scope: object): EarlyAnswers | undefined {
  const found = (scope as Record<symbol, unknown>)[PUBLISHED] as Partial<EarlyAnswers> | undefined;
  return typeof found?.take === "function" && typeof found.expects === "function" && typeof found.put === "function" ? (found as EarlyAnswers) : undefined;
}

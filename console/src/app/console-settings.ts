/**
 * Settings the app and the inline early script (src/early.ts) both use. The two are built apart and
 * share no module at run time, only this source; it is free of generated code, so the early script
 * stays small.
 */

/** Where the server serves the console. */
export const CONSOLE_BASE = "/console";

/** Every call's deadline: a stuck request would freeze a page's spinner forever. */
export const CALL_TIMEOUT_MS = 30_000;

#!/usr/bin/env node
// Applies this project's patch to @connectrpc/connect 2.1.2 (npm `postinstall`).
//
// What it changes, in createHandlerContext (dist/esm and dist/cjs implementation.js), written as it
// would be proposed upstream:
//  - a call without a timeout gets no deadline AbortController (nothing could ever abort it, yet every
//    call allocated one and linked a listener to it);
//  - when a call ends without a reason (it succeeded), its signal is aborted with an AbortError
//    whose stack is not captured: the call is over, nobody reads that stack, and capturing it cost
//    about as much as the rest of a small unary call's bookkeeping together; a signal that is already
//    aborted is left alone instead of building a reason that is then thrown away.
// Behaviour is otherwise unchanged: the signal still aborts at the end of every call, with a
// DOMException named AbortError as before, and a deadline still aborts it with DEADLINE_EXCEEDED.
//
// Idempotent: a file already patched is left alone. Any other content (another connect version, a
// changed build) fails loudly, so a dependency update cannot silently drop the patch.
//
//   node scripts/patch-connect.mjs           apply (exit 1 if the files are not what we expect)
//   node scripts/patch-connect.mjs --check   only report; exit 1 unless every file is patched
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const VERSION = "2.1.2";

const ENDED_REASON = `
// Patched (flyteadmin-ts): the reason a call's signal aborts with once the call has ended.
function callEndedReason() {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return new DOMException("This operation was aborted", "AbortError");
    }
    finally {
        Error.stackTraceLimit = limit;
    }
}
`;

/** One edit: `from` must occur exactly once in an unpatched file, `to` exactly once in a patched one. */
const edits = (prefix) => [
  {
    from: `    const deadline = ${prefix("createDeadlineSignal")}(init.timeoutMs);
    const abortController = ${prefix("createLinkedAbortController")}(deadline.signal, init.requestSignal, init.shutdownSignal);`,
    to: `    const deadline = init.timeoutMs !== undefined ? ${prefix("createDeadlineSignal")}(init.timeoutMs) : undefined;
    const abortController = ${prefix("createLinkedAbortController")}(deadline === null || deadline === void 0 ? void 0 : deadline.signal, init.requestSignal, init.shutdownSignal);`,
  },
  {
    from: `            deadline.cleanup();
            abortController.abort(reason);`,
    to: `            deadline === null || deadline === void 0 ? void 0 : deadline.cleanup();
            if (!abortController.signal.aborted) {
                abortController.abort(reason !== undefined ? reason : callEndedReason());
            }`,
  },
];

const FILES = [
  { path: "dist/esm/implementation.js", edits: edits((name) => name) },
  { path: "dist/cjs/implementation.js", edits: edits((name) => `(0, signals_js_1.${name})`) },
];

const count = (text, part) => text.split(part).length - 1;

/** Returns "patched" or "applied"; throws when the file is neither the expected original nor patched. */
export function patchFile(file, spec, write) {
  let text = readFileSync(file, "utf8");
  const patched = spec.edits.every((e) => count(text, e.to) === 1) && count(text, "function callEndedReason()") === 1;
  if (patched) return "patched";
  for (const e of spec.edits) {
    if (count(text, e.from) !== 1) throw new Error(`${file}: unexpected content, cannot patch (looked for:\n${e.from})`);
    text = text.replace(e.from, e.to);
  }
  // A function declaration is hoisted: appended at the end, it serves the code above.
  text = `${text.trimEnd()}\n${ENDED_REASON}`;
  if (write) writeFileSync(file, text);
  return "applied";
}

function main() {
  const check = process.argv.includes("--check");
  const require = createRequire(import.meta.url);
  let root;
  try {
    // Its exports map hides package.json; the CommonJS entry is dist/cjs/index.js.
    root = join(dirname(require.resolve("@connectrpc/connect")), "..", "..");
  } catch (e) {
    if (e.code !== "MODULE_NOT_FOUND") throw e;
    // Installed without it (nothing to patch yet): say so, but do not fail an unrelated install.
    process.stderr.write("patch-connect: @connectrpc/connect is not installed; nothing patched\n");
    return;
  }
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  if (version !== VERSION) throw new Error(`patch-connect: @connectrpc/connect is ${version}, the patch is for ${VERSION}; update scripts/patch-connect.mjs`);
  const results = FILES.map((spec) => `${spec.path}: ${patchFile(join(root, spec.path), spec, !check)}`);
  if (check && results.some((r) => !r.endsWith("patched"))) throw new Error(`patch-connect: not applied (${results.join(", ")})`);
  process.stderr.write(`patch-connect: ${results.join(", ")}\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}

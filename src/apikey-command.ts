import { parseArgs } from "node:util";
import { issueApiKey } from "./auth/api-keys.js";
import type { CommandIo } from "./cache-command.js";
import { commandConfig, openCommandStore } from "./command-config.js";
import { flagName, OPTIONS } from "./config.js";
import { parseApiKey } from "./core/api-key.js";
import { parseAge, RetentionError } from "./core/retention.js";
import type { ApiKeyRow } from "./storage/access-store.js";
import { hasControlChars, tableTime, textTable } from "./text-table.js";

export const APIKEY_USAGE = `flyteadmin-ts apikey: API keys for scripts and CI.

Usage:
  flyteadmin-ts apikey create --owner SUBJECT [--service-account APP] [--expires-in 90d|never] [--description TEXT] [options]
      creates a key acting for SUBJECT (the token subject its roles are bound
      to), or for the app APP; it expires after --expires-in (default 90d).
      The key is printed on stdout, alone, this once: only its digest is kept
  flyteadmin-ts apikey list [--owner SUBJECT] [--all] [--limit N] [options]
      lists keys newest first (with --all also revoked ones); never their secrets
  flyteadmin-ts apikey revoke ID [options]
      revokes a key (by its id, or the whole key): it stops working at once

A key is sent as \`Authorization: Bearer fak_...\` (or flyte-authorization),
e.g. by flytekit's ExternalCommand auth with command: ["cat", "<key file>"].

Options: --config <file> and the server's database options (--database, --data-dir),
so it works on the server's database.
`;

const DEFAULT_EXPIRY = "90d";
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
const MAX_NAME = 255;
const MAX_DESCRIPTION = 1000;

type Request =
  | { kind: "create"; owner: string; serviceAccount: string | undefined; expiresInMs: number | undefined; description: string }
  | { kind: "list"; owner: string | undefined; all: boolean; limit: number }
  | { kind: "revoke"; id: string };

/** `flyteadmin-ts apikey …` (argv after "apikey"): the exit code. Bad arguments are a usage error (2). */
export async function apikeyCommand(argv: string[], io: CommandIo, now: () => Date = () => new Date()): Promise<number> {
  const configFlags = Object.fromEntries(OPTIONS.map((o) => [flagName(o.key), { type: "string" as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...configFlags,
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
        owner: { type: "string" },
        "service-account": { type: "string" },
        "expires-in": { type: "string" },
        description: { type: "string" },
        all: { type: "boolean" },
        limit: { type: "string" },
      },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(APIKEY_USAGE);
    return 0;
  }
  const request = readRequest(positionals, values);
  if (typeof request === "string") return usage(io, request);

  const config = commandConfig(values, io);
  if (!config) return 2;
  const { store } = await openCommandStore(config, io);
  try {
    const at = now();
    if (request.kind === "create") {
      const expiresAt = request.expiresInMs === undefined ? undefined : new Date(at.getTime() + request.expiresInMs);
      const { key, id } = await issueApiKey(store.apiKeys, { owner: request.owner, serviceAccount: request.serviceAccount, description: request.description, expiresAt, now: at });
      io.stdout(`${key}\n`);
      const actsAs = request.serviceAccount ? `app ${request.serviceAccount} (owner ${request.owner})` : request.owner;
      io.stderr(`API key ${id} acts as ${actsAs}, expires ${expiresAt ? tableTime(expiresAt) : "never"}. Keep it now: it is not shown again.\n`);
      return 0;
    }
    if (request.kind === "list") {
      const rows = await store.apiKeys.list({ owner: request.owner, includeRevoked: request.all, limit: request.limit + 1 });
      io.stdout(keyTable(rows.slice(0, request.limit), at));
      if (rows.length > request.limit) io.stdout(`(first ${request.limit} shown; --limit shows more)\n`);
      return 0;
    }
    const result = await store.apiKeys.revoke(request.id, at);
    if (result === "revoked") {
      io.stdout(`API key ${request.id} revoked\n`);
      return 0;
    }
    io.stderr(result === "missing" ? `no API key ${request.id}\n` : `API key ${request.id} was revoked already\n`);
    return 1;
  } finally {
    await store.close();
  }
}

function readRequest(positionals: string[], values: Record<string, string | boolean | undefined>): Request | string {
  const [verb, ...rest] = positionals;
  const str = (key: string) => (typeof values[key] === "string" ? (values[key] as string) : undefined);
  if (verb === "create") {
    if (rest.length > 0) return `unexpected ${rest.join(" ")}`;
    const owner = str("owner");
    if (owner === undefined) return "apikey create needs --owner SUBJECT";
    const problem = nameProblem(owner, "--owner") ?? (str("service-account") !== undefined ? nameProblem(str("service-account")!, "--service-account") : undefined);
    if (problem) return problem;
    const description = str("description") ?? "";
    if (description.length > MAX_DESCRIPTION || hasControlChars(description)) return `--description: at most ${MAX_DESCRIPTION} characters on one line`;
    const expiry = str("expires-in") ?? DEFAULT_EXPIRY;
    let expiresInMs: number | undefined;
    if (expiry !== "never") {
      try {
        expiresInMs = parseAge(expiry);
      } catch (e) {
        if (!(e instanceof RetentionError)) throw e;
        return `--expires-in: ${e.message}, or never`;
      }
    }
    return { kind: "create", owner, serviceAccount: str("service-account"), expiresInMs, description };
  }
  if (verb === "list") {
    if (rest.length > 0) return `unexpected ${rest.join(" ")}`;
    const owner = str("owner");
    if (owner !== undefined && nameProblem(owner, "--owner")) return nameProblem(owner, "--owner")!;
    const limitText = str("limit");
    const limit = limitText === undefined ? DEFAULT_LIMIT : /^[1-9][0-9]{0,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit <= MAX_LIMIT)) return `--limit: expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limitText)}`;
    return { kind: "list", owner, all: values.all === true, limit };
  }
  if (verb === "revoke") {
    const [text] = rest;
    if (rest.length !== 1) return "apikey revoke takes one key id";
    const id = /^[a-z2-7]{12}$/.test(text!) ? text! : parseApiKey(text!)?.id;
    // The text may be a whole key: never repeat it.
    if (!id) return "apikey revoke: expected a key id (12 characters of a-z and 2-7) or a whole key";
    return { kind: "revoke", id };
  }
  return `unknown apikey command ${positionals.join(" ") || "(none)"}`;
}

function nameProblem(text: string, flag: string): string | undefined {
  if (text.trim() === "" || text.length > MAX_NAME || hasControlChars(text)) return `${flag}: expected a subject of 1 to ${MAX_NAME} characters on one line`;
  return undefined;
}

/** One line per key; its secret is never known here. */
function keyTable(rows: readonly ApiKeyRow[], now: Date): string {
  if (rows.length === 0) return "no API keys\n";
  const status = (r: ApiKeyRow) => (r.revokedAt ? "revoked" : r.expiresAt && r.expiresAt <= now ? "expired" : "active");
  return textTable([
    ["ID", "OWNER", "SERVICE ACCOUNT", "STATUS", "CREATED", "EXPIRES", "LAST USED", "DESCRIPTION"],
    ...rows.map((r) => [
      r.id,
      r.ownerSubject,
      r.serviceAccount ?? "-",
      status(r),
      tableTime(r.createdAt),
      r.expiresAt ? tableTime(r.expiresAt) : "never",
      tableTime(r.lastUsedAt),
      r.description,
    ]),
  ]);
}

function usage(io: CommandIo, problem: string): number {
  io.stderr(`${problem}\n\n${APIKEY_USAGE}`);
  return 2;
}

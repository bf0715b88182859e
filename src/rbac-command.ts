import { parseArgs } from "node:util";
import type { CommandIo } from "./cache-command.js";
import { commandConfig, openCommandStore } from "./command-config.js";
import { flagName, OPTIONS } from "./config.js";
import { ALL, isRole, ROLES } from "./core/rbac.js";
import { type BindingKey, type RoleBinding, SUBJECT_KINDS, type SubjectKind } from "./storage/access-store.js";
import { hasControlChars, tableTime, textTable } from "./text-table.js";

export const RBAC_USAGE = `flyteadmin-ts rbac: who holds which role where (with auth.rbac.enabled).

Usage:
  flyteadmin-ts rbac grant SUBJECT ROLE [--project P] [--domain D] [--kind user|app|group] [options]
      gives SUBJECT (a token subject or email, an app's client id, or a group
      from the groups claim: --kind, default user) the role viewer,
      contributor, admin or system (apps only: it alone may write execution
      events) on project P and domain D; an omitted one means every one
  flyteadmin-ts rbac revoke SUBJECT ROLE [--project P] [--domain D] [--kind user|app|group] [options]
      removes exactly that binding
  flyteadmin-ts rbac list [--subject S] [--kind K] [--project P] [--limit N] [options]
      lists bindings

A running server applies a change made here within its bindings cache time
(auth.rbac.cacheTtl, 10s by default).

Options: --config <file> and the server's database options (--database, --data-dir),
so it works on the server's database.
`;

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 100_000;
const MAX_NAME = 255;

type Request = { kind: "grant" | "revoke"; key: BindingKey } | { kind: "list"; subjectKind: SubjectKind | undefined; subject: string | undefined; project: string | undefined; limit: number };

/** `flyteadmin-ts rbac …` (argv after "rbac"): the exit code. Bad arguments are a usage error (2). */
export async function rbacCommand(argv: string[], io: CommandIo, now: () => Date = () => new Date()): Promise<number> {
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
        project: { type: "string" },
        domain: { type: "string" },
        kind: { type: "string" },
        subject: { type: "string" },
        limit: { type: "string" },
      },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(RBAC_USAGE);
    return 0;
  }
  const request = readRequest(positionals, values);
  if (typeof request === "string") return usage(io, request);
  const config = commandConfig(values, io);
  if (!config) return 2;
  if (request.kind !== "list" && request.key.domain !== ALL && !config.domains.some((d) => d.id === request.key.domain)) {
    return usage(io, `--domain: ${JSON.stringify(request.key.domain)} is not a configured domain (${config.domains.map((d) => d.id).join(", ")})`);
  }

  const { store } = await openCommandStore(config, io);
  try {
    if (request.kind === "list") {
      const rows = await store.roleBindings.list({ subjectKind: request.subjectKind, subject: request.subject, project: request.project, limit: request.limit + 1 });
      io.stdout(bindingTable(rows.slice(0, request.limit)));
      if (rows.length > request.limit) io.stdout(`(first ${request.limit} shown; --limit shows more)\n`);
      return 0;
    }
    const { key } = request;
    const text = `${key.role} on ${key.project}/${key.domain} for ${key.subjectKind} ${key.subject}`;
    if (request.kind === "grant") {
      if (key.project !== ALL && !(await store.projects.get(key.project))) io.stderr(`note: project ${key.project} does not exist (yet)\n`);
      const added = await store.roleBindings.grant({ ...key, createdAt: now(), createdBy: "cli" });
      io.stdout(added ? `granted ${text}\n` : `${text} was granted already\n`);
      return 0;
    }
    if (await store.roleBindings.revoke(key)) {
      io.stdout(`revoked ${text}\n`);
      return 0;
    }
    io.stderr(`no binding ${text}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

function readRequest(positionals: string[], values: Record<string, string | boolean | undefined>): Request | string {
  const [verb, ...rest] = positionals;
  const str = (key: string) => (typeof values[key] === "string" ? (values[key] as string) : undefined);
  const kindText = str("kind");
  if (kindText !== undefined && !(SUBJECT_KINDS as readonly string[]).includes(kindText)) return `--kind: expected one of ${SUBJECT_KINDS.join(", ")}, got ${JSON.stringify(kindText)}`;
  const subjectKind = kindText as SubjectKind | undefined;
  for (const flag of ["project", "domain", "subject"]) {
    const v = str(flag);
    if (v !== undefined && nameProblem(v)) return `--${flag}: ${nameProblem(v)}`;
  }
  if (verb === "grant" || verb === "revoke") {
    if (rest.length !== 2) return `rbac ${verb} takes SUBJECT ROLE, got ${JSON.stringify(rest.join(" "))}`;
    const [subject, role] = rest as [string, string];
    if (nameProblem(subject)) return `SUBJECT: ${nameProblem(subject)}`;
    if (!isRole(role)) return `ROLE: expected one of ${ROLES.join(", ")}, got ${JSON.stringify(role)}`;
    const kind = subjectKind ?? "user";
    // Event writing is for engines: a person or a group holding it could forge execution state.
    if (role === "system" && kind !== "app") return "the system role is for apps only (--kind app)";
    if (str("subject") !== undefined) return `--subject is for rbac list; rbac ${verb} takes SUBJECT as an argument`;
    return { kind: verb, key: { subjectKind: kind, subject, role, project: str("project") ?? ALL, domain: str("domain") ?? ALL } };
  }
  if (verb === "list") {
    if (rest.length > 0) return `unexpected ${rest.join(" ")}`;
    if (str("domain") !== undefined) return "--domain is for grant and revoke";
    const limitText = str("limit");
    const limit = limitText === undefined ? DEFAULT_LIMIT : /^[1-9][0-9]{0,5}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit <= MAX_LIMIT)) return `--limit: expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limitText)}`;
    return { kind: "list", subjectKind, subject: str("subject"), project: str("project"), limit };
  }
  return `unknown rbac command ${positionals.join(" ") || "(none)"}`;
}

function nameProblem(text: string): string | undefined {
  if (text.trim() === "" || text.length > MAX_NAME || hasControlChars(text)) return `expected 1 to ${MAX_NAME} characters on one line, got ${JSON.stringify(text.slice(0, 40))}`;
  return undefined;
}

function bindingTable(rows: readonly RoleBinding[]): string {
  if (rows.length === 0) return "no role bindings\n";
  return textTable([
    ["KIND", "SUBJECT", "ROLE", "PROJECT", "DOMAIN", "GRANTED", "BY"],
    ...rows.map((b) => [b.subjectKind, b.subject, b.role, b.project, b.domain, tableTime(b.createdAt), b.createdBy]),
  ]);
}

function usage(io: CommandIo, problem: string): number {
  io.stderr(`${problem}\n\n${RBAC_USAGE}`);
  return 2;
}

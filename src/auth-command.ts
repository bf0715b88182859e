import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import bcrypt from "bcryptjs";
import { writeAuthSecrets } from "./auth/keys.js";
import type { CommandIo } from "./cache-command.js";
import { commandConfig } from "./command-config.js";
import { fileModes, flagName, OPTIONS } from "./config.js";

export const AUTH_USAGE = `flyteadmin-ts auth: secrets for authentication.

Usage:
  flyteadmin-ts auth init [--secrets-dir DIR] [options]
      writes what the self-hosted authorization server and browser sessions
      need into DIR (default: the auth.secretsDir setting, <data-dir>/secrets),
      FlyteAdmin's files: token_rsa_key.pem (RSA 2048, PKCS#1 PEM),
      claim_symmetric_key, cookie_hash_key and cookie_block_key, mode 0600.
      A file already there is kept, never overwritten. Give every replica
      the same folder
  flyteadmin-ts auth hash-secret [--generate]
      reads a client secret on stdin (or makes a random one with --generate,
      printed once) and prints the client_secret value a static client takes
      in the config: the base64 of its bcrypt hash, as FlyteAdmin's YAML holds it

Options: --config <file> and the server's options (--data-dir, --auth ...),
so init writes where the server reads.
`;

/** bcrypt's cost for new hashes: each token request with the secret costs one comparison at it. */
const BCRYPT_COST = 10;

/** `flyteadmin-ts auth …` (argv after "auth"): the exit code. */
export async function authCommand(argv: string[], io: CommandIo & { stdin?: () => Promise<string> }): Promise<number> {
  const configFlags = Object.fromEntries(OPTIONS.map((o) => [flagName(o.key), { type: "string" as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...configFlags, config: { type: "string" }, help: { type: "boolean", short: "h" }, "secrets-dir": { type: "string" }, generate: { type: "boolean" } },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(AUTH_USAGE);
    return 0;
  }
  const [verb, ...rest] = positionals;
  if (rest.length > 0) return usage(io, `unexpected ${rest.join(" ")}`);
  if (verb === "hash-secret") return hashSecret(io, values.generate === true);
  if (verb !== "init") return usage(io, `unknown auth command ${positionals.join(" ") || "(none)"}`);
  const config = commandConfig(values, io);
  if (!config) return 2;
  const dir = values["secrets-dir"] ?? config.auth.secretsDir;
  const { written, kept } = writeAuthSecrets(dir, config.auth.appAuth.selfAuthServer, fileModes(config));
  for (const file of written) io.stdout(`wrote ${file}\n`);
  for (const file of kept) io.stdout(`kept ${file} (already there)\n`);
  return 0;
}

async function hashSecret(io: CommandIo & { stdin?: () => Promise<string> }, generate: boolean): Promise<number> {
  let secret: string;
  if (generate) secret = randomBytes(32).toString("base64url");
  else {
    if (!io.stdin) return usage(io, "no stdin to read the secret from; use --generate");
    secret = (await io.stdin()).replace(/\r?\n$/, "");
  }
  if (secret === "") return usage(io, "the secret is empty");
  // bcrypt reads at most 72 bytes: the token endpoint refuses longer secrets rather than match a prefix.
  if (Buffer.byteLength(secret) > 72) return usage(io, "the secret is longer than 72 bytes, more than bcrypt reads");
  const hash = await bcrypt.hash(secret, BCRYPT_COST);
  if (generate) io.stdout(`secret: ${secret}\n`);
  io.stdout(`client_secret: ${Buffer.from(hash, "latin1").toString("base64")}\n`);
  return 0;
}

function usage(io: CommandIo, problem: string): number {
  io.stderr(`${problem}\n\n${AUTH_USAGE}`);
  return 2;
}

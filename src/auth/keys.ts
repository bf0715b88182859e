import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { calculateJwkThumbprint, type JWK } from "jose";
import type { SelfAuthServerConfig } from "./auth-config.js";

/** A public key tokens are verified with, with its RFC 7638 thumbprint as key id. */
export interface VerifyingKey {
  kid: string;
  publicKey: KeyObject;
  /** The public JWK as /oauth2/jwks lists it. */
  jwk: JWK;
}

/** The self-hosted server's keys: the current one signs, it and the old one (rotation) verify, in that order. */
export interface SigningKeys {
  current: VerifyingKey & { privateKey: KeyObject };
  verifying: readonly VerifyingKey[];
}

export class KeyFileError extends Error {
  override name = "KeyFileError";
}

/** The secrets `auth init` writes, FlyteAdmin's `secret init` set: file name → content maker. */
export const COOKIE_HASH_KEY = "cookie_hash_key";
export const COOKIE_BLOCK_KEY = "cookie_block_key";

export interface FileModes {
  fileMode: number;
  dirMode: number;
}

/** A 2048-bit RSA private key as FlyteAdmin writes it: PKCS#1 `RSA PRIVATE KEY` PEM. */
export function newRsaKeyPem(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs1", format: "pem" }).toString();
}

/** Random bytes as FlyteAdmin stores symmetric secrets: base64 without padding. */
const randomSecret = (bytes: number) => randomBytes(bytes).toString("base64").replace(/=+$/, "");

/**
 * Writes the secrets authentication needs into `dir`, as FlyteAdmin's `secret
 * init` does (signing key, claim key, cookie hash and block keys), mode
 * `fileMode`. A file already there is kept, never overwritten. Returns which
 * were written and which kept.
 */
export function writeAuthSecrets(dir: string, names: Pick<SelfAuthServerConfig, "tokenSigningRSAKeySecretName" | "claimSymmetricEncryptionKeySecretName">, modes: FileModes) {
  const files: [string, () => string][] = [
    [names.tokenSigningRSAKeySecretName, newRsaKeyPem],
    [names.claimSymmetricEncryptionKeySecretName, () => randomSecret(32)],
    [COOKIE_HASH_KEY, () => randomSecret(64)],
    [COOKIE_BLOCK_KEY, () => randomSecret(32)],
  ];
  const written: string[] = [];
  const kept: string[] = [];
  for (const [name, make] of files) (createOnce(join(dir, name), make, modes) ? written : kept).push(join(dir, name));
  return { written, kept };
}

/**
 * Creates `file` with `make()`'s content unless it exists. The content is
 * written aside and hard-linked into place, so two servers starting on one
 * folder agree on one file and neither reads a half-written one.
 */
function createOnce(file: string, make: () => string, modes: FileModes): boolean {
  if (existsSync(file)) return false;
  mkdirSync(join(file, ".."), { recursive: true, mode: modes.dirMode });
  const aside = `${file}.${process.pid}.tmp`;
  rmSync(aside, { force: true });
  writeFileSync(aside, make(), { mode: modes.fileMode, flag: "wx" });
  try {
    linkSync(aside, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * The self-hosted server's keys from the secrets folder: the signing key
 * (PKCS#1 or PKCS#8 PEM, RSA of at least 2048 bits) and, when present, the old
 * one that still verifies. With `generate`, missing secrets are created first
 * (a single node's first start). Errors name the file, never its content.
 */
export async function loadSigningKeys(
  dir: string,
  names: SelfAuthServerConfig,
  options: { generate: boolean; modes: FileModes; warn(msg: string, fields: Record<string, unknown>): void },
): Promise<{ keys: SigningKeys; generated: string[] }> {
  const currentFile = join(dir, names.tokenSigningRSAKeySecretName);
  const generated = options.generate && !existsSync(currentFile) ? writeAuthSecrets(dir, names, options.modes).written : [];
  if (!existsSync(currentFile)) {
    throw new KeyFileError(
      `no token signing key at ${currentFile}; run \`flyteadmin-ts auth init --secrets-dir ${dir}\` and give every replica the same folder`,
    );
  }
  const current = readPrivateKey(currentFile, options.warn);
  const currentKey = { ...(await verifyingKey(createPublicKey(current))), privateKey: current };
  const oldFile = join(dir, names.oldTokenSigningRSAKeySecretName);
  const verifying: VerifyingKey[] = [currentKey];
  if (existsSync(oldFile)) {
    const old = await verifyingKey(createPublicKey(readPrivateKey(oldFile, options.warn)));
    if (old.kid !== currentKey.kid) verifying.push(old);
  }
  return { keys: { current: currentKey, verifying }, generated };
}

function readPrivateKey(file: string, warn: (msg: string, fields: Record<string, unknown>) => void): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeyFileError(`${file}: ${code?.startsWith("E") && !code.startsWith("ERR_") ? `cannot read it (${code})` : "not a PEM private key"}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== "rsa" || bits < 2048) throw new KeyFileError(`${file}: expected an RSA key of at least 2048 bits`);
  const mode = statSync(file).mode & 0o077;
  if (mode !== 0 && process.platform !== "win32") warn("the token signing key is readable by group or others", { path: file, fix: `chmod 600 ${file}` });
  return key;
}

async function verifyingKey(publicKey: KeyObject): Promise<VerifyingKey> {
  const { kty, n, e } = publicKey.export({ format: "jwk" });
  const kid = await calculateJwkThumbprint({ kty: kty!, n: n!, e: e! }, "sha256");
  return { kid, publicKey, jwk: { kty, n, e, kid, alg: "RS256", use: "sig" } };
}

/**
 * The 32-byte cookie block key (`cookie_block_key`, base64 without padding, as
 * `auth init` writes it), which seals the login-in-progress cookie. Generated
 * with the rest of the set on a single node (SQLite) when missing; on several
 * replicas every one must read the same file, so a missing one is an error.
 */
export function loadCookieBlockKey(dir: string, o: { generate: boolean; modes: FileModes }): Uint8Array {
  const file = join(dir, COOKIE_BLOCK_KEY);
  if (!existsSync(file) && o.generate) createOnce(file, () => randomSecret(32), o.modes);
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new KeyFileError(`no cookie block key at ${file}; run \`flyteadmin-ts auth init --secrets-dir ${dir}\` and give every replica the same folder`);
    }
    throw new KeyFileError(`${file}: cannot read it (${code ?? "error"})`);
  }
  const key = Buffer.from(text, "base64");
  if (key.length !== 32) throw new KeyFileError(`${file}: expected 32 bytes in base64, as auth init writes it`);
  return new Uint8Array(key);
}

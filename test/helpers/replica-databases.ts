import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { authCommand } from "../../src/auth-command.js";
import { openStore } from "../../src/storage/open-store.js";
import type { Store } from "../../src/storage/store.js";
import { createTestDatabase, PG_URL } from "./backends.js";

/** One database and one secrets folder that two app instances share. */
export interface ReplicaDatabase {
  database: string;
  /** The store both apps use (SQLite: one process holds the file's connection); undefined on PostgreSQL. */
  store?: Store;
  secretsDir: string;
}

/**
 * The databases replica tests run on: a SQLite file, and a fresh PostgreSQL
 * database when FLYTEADMIN_TEST_PG_URL is set. On SQLite the first start
 * generates the keys and the second reads them; on PostgreSQL they come from
 * `auth init`, as every replica must share them. Cleanups go to `cleanups`.
 */
export function replicaDatabases(cleanups: (() => Promise<unknown>)[]): [string, () => Promise<ReplicaDatabase>][] {
  const sqlite = async (): Promise<ReplicaDatabase> => {
    const dir = mkdtempSync(join(tmpdir(), "flyteadmin-replicas-"));
    const database = join(dir, "admin.db");
    const store = await openStore(database);
    cleanups.push(() => store.close());
    return { database, store: { ...store, close: async () => undefined }, secretsDir: join(dir, "secrets") };
  };
  const postgres = async (): Promise<ReplicaDatabase> => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const secretsDir = join(mkdtempSync(join(tmpdir(), "flyteadmin-replicas-")), "secrets");
    const out: string[] = [];
    expect(await authCommand(["init", "--secrets-dir", secretsDir], { stdout: (t) => void out.push(t), stderr: (t) => void out.push(t), env: {} })).toBe(0);
    return { database: db.url, secretsDir };
  };
  return [["a sqlite file", sqlite], ...(PG_URL ? [["postgres (server)", postgres] as [string, () => Promise<ReplicaDatabase>]] : [])];
}

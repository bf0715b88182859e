import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BlobStore } from "../blob/blob-store.js";
import { executionBlobFolders, type ExecutionBlobFolder, executionsJoiningTo } from "../core/blob-keys.js";
import { attemptFolder, CONTROL_DIR } from "../engine/local/process/attempt-files.js";
import type { ExecutionKey } from "../storage/store.js";

/** What removing (or, in a dry run, counting) an execution's files came to. */
export interface FileTally {
  files: number;
  bytes: number;
}

export interface ExecutionFilesOptions {
  blobs: BlobStore;
  /** The local engine's metadata key prefix (`<prefix>/<project>-<domain>-<name>/` per execution). */
  engineMetadataPrefix: string;
  /** The local engine's run root (`<runRoot>/<project>/<domain>/<name>/`: attempt folders, task logs); undefined: none. */
  runRoot: string | undefined;
  /**
   * Whether another execution (stored or being deleted) has this key: the
   * engine's folder name joins ids with "-", so `a-b/c/d` and `a/b-c/d` share
   * one; such a folder is left alone.
   */
  taken(key: ExecutionKey): Promise<boolean>;
}

/** Most "-"-joined splits tried when looking for another execution sharing an engine folder (ids with many hyphens keep theirs). */
export const MAX_SPLITS = 64;

/**
 * The files an execution owns outside the database: its blobs (inputs,
 * offloaded inputs and outputs, dynamic closures, the engine's metadata
 * folder: node inputs and outputs, errors, decks) and its run folder on this
 * host (attempt folders with their task logs). Raw output data
 * (`data/<shard>/…`, or the execution's own raw output prefix) is not the
 * execution's alone: outputs handed on by URI, and cache entries, point into it.
 */
export function createExecutionFiles(o: ExecutionFilesOptions) {
  const enginePrefix = o.engineMetadataPrefix.replace(/^\/+|\/+$/g, "");

  /** The engine's folder, unless another execution's ids join to the same name. */
  async function engineFolder(k: ExecutionKey): Promise<ExecutionBlobFolder | undefined> {
    const joined = `${k.project}-${k.domain}-${k.name}`;
    const joining = executionsJoiningTo(joined, MAX_SPLITS);
    if (!joining) return undefined;
    for (const other of joining) {
      if ((other.project !== k.project || other.domain !== k.domain) && (await o.taken(other))) return undefined;
    }
    return { prefix: `${enginePrefix}/${joined}/`, owns: () => true };
  }

  async function keysOf(k: ExecutionKey): Promise<string[]> {
    const folders = [...executionBlobFolders(k)];
    const engine = await engineFolder(k);
    if (engine) folders.push(engine);
    const keys: string[] = [];
    for (const f of folders) {
      for (const key of await o.blobs.list(f.prefix)) if (f.owns(key.slice(f.prefix.length))) keys.push(key);
    }
    return keys;
  }

  let sweepFrom: ExecutionKey | undefined;
  const runFolder = (k: ExecutionKey) => (o.runRoot ? attemptFolder(o.runRoot, [k.project, k.domain, k.name]) : undefined);

  return {
    /** Counts the execution's blobs and run folder files, and their bytes. */
    async measure(k: ExecutionKey): Promise<FileTally> {
      const tally: FileTally = { files: 0, bytes: 0 };
      for (const key of await keysOf(k)) {
        const info = await o.blobs.stat(key);
        if (!info) continue;
        tally.files++;
        tally.bytes += info.size;
      }
      const dir = runFolder(k);
      if (dir) await addFolder(dir, tally);
      return tally;
    },

    /**
     * Removes run folders on this host whose execution is gone (deleted by a replica on another
     * host, which could not reach them); at most `limit` folders looked at per call, resuming
     * where the last call stopped.
     */
    async sweepRunFolders(limit: number): Promise<FileTally> {
      const tally: FileTally = { files: 0, bytes: 0 };
      if (!o.runRoot) return tally;
      const found = await executionFolders(o.runRoot, sweepFrom, limit);
      sweepFrom = found.length < limit ? undefined : found[found.length - 1];
      for (const k of found) {
        if (await o.taken(k)) continue;
        const dir = runFolder(k);
        // Only what the engine made: a run root may be a folder holding other things too.
        if (!dir || !(await isRunFolder(dir))) continue;
        await addFolder(dir, tally);
        await rm(dir, { recursive: true, force: true });
      }
      return tally;
    },

    /** Deletes them (absent ones are no error, so a resumed deletion repeats it safely); what was there. */
    async remove(k: ExecutionKey): Promise<FileTally> {
      const tally: FileTally = { files: 0, bytes: 0 };
      for (const key of await keysOf(k)) {
        const info = await o.blobs.stat(key);
        await o.blobs.delete(key);
        if (info) {
          tally.files++;
          tally.bytes += info.size;
        }
      }
      const dir = runFolder(k);
      if (dir) {
        await addFolder(dir, tally);
        await rm(dir, { recursive: true, force: true });
      }
      return tally;
    },
  };
}

export type ExecutionFiles = ReturnType<typeof createExecutionFiles>;

/** Adds the files below `dir` (not following links) to the tally; an absent folder adds nothing. */
async function addFolder(dir: string, tally: FileTally): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return;
    throw e;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await addFolder(path, tally);
    else {
      tally.files++;
      tally.bytes += (await lstat(path).catch(() => ({ size: 0 }))).size;
    }
  }
}

const ORDER = (k: ExecutionKey) => JSON.stringify([k.project, k.domain, k.name]);

/** `<runRoot>/<project>/<domain>/<name>` folders after `from` (in name order), at most `limit`. */
async function executionFolders(runRoot: string, from: ExecutionKey | undefined, limit: number): Promise<ExecutionKey[]> {
  const names = async (dir: string) => {
    try {
      return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  };
  const out: ExecutionKey[] = [];
  const after = from ? ORDER(from) : "";
  for (const project of await names(runRoot)) {
    if (from && project < from.project) continue;
    for (const domain of await names(join(runRoot, project))) {
      for (const name of await names(join(runRoot, project, domain))) {
        const k = { project, domain, name };
        if (from && ORDER(k) <= after) continue;
        out.push(k);
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}

/** Whether `dir` holds an attempt folder the engine made: `<node>/<attempt>/.engine/`. */
async function isRunFolder(dir: string): Promise<boolean> {
  const subfolders = async (d: string) => (await readdir(d, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => join(d, e.name));
  for (const node of await subfolders(dir)) {
    for (const attempt of await subfolders(node)) {
      if ((await subfolders(attempt)).some((p) => p.endsWith(`/${CONTROL_DIR}`))) return true;
    }
  }
  return false;
}

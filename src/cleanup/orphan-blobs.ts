import type { BlobEntry, BlobStore } from "../blob/blob-store.js";
import { type ExecutionRef, executionsJoiningTo, executionsOwningKey } from "../core/blob-keys.js";
import type { ExecutionKey } from "../storage/store.js";
import { type FileTally, MAX_SPLITS } from "./execution-files.js";

/**
 * How long an execution's blob must have been left unchanged before it may be
 * taken for an orphan: CreateExecution writes the inputs before it commits the
 * execution's row, so for a moment every new execution's blobs have no
 * execution. That moment lasts one call (bounded by the database and storage
 * timeouts: minutes at most); a day also covers clocks that disagree (an S3
 * server stamps LastModified with its own) and a server paused mid-call.
 */
export const ORPHAN_MIN_AGE_MS = 24 * 3_600_000;

/** Keys listed per storage call. */
const PAGE = 500;

export interface OrphanBlobsOptions {
  blobs: BlobStore;
  /** The local engine's metadata key prefix (`<prefix>/<project>-<domain>-<name>/`). */
  engineMetadataPrefix: string;
  /** Whether an execution is stored or being deleted. */
  taken(key: ExecutionKey): Promise<boolean>;
  minAgeMs?: number;
  clock?: () => Date;
}

/**
 * Finds blobs of executions that neither exist nor are being deleted — left by
 * a CreateExecution that failed after writing its inputs, by a crash, or by an
 * earlier build — and removes them. Only keys of an execution's own shapes
 * (`executionsOwningKey`, the engine's folders) are ever touched: registered
 * entities' blobs, cache entries and raw output data are other shapes.
 */
export function createOrphanBlobs(o: OrphanBlobsOptions) {
  const enginePrefix = `${o.engineMetadataPrefix.replace(/^\/+|\/+$/g, "")}/`;
  const minAgeMs = o.minAgeMs ?? ORPHAN_MIN_AGE_MS;
  const clock = o.clock ?? (() => new Date());
  // Where the next call goes on; "" starts over (a server's passes walk the keys in turns).
  let cursor = "";

  /** Every execution the key may belong to; empty when it is none's (then it is never removed). */
  function ownersOf(key: string): ExecutionRef[] {
    const owners = executionsOwningKey(key);
    if (key.startsWith(enginePrefix)) {
      const [joined, ...rest] = key.slice(enginePrefix.length).split("/");
      const joining = rest.length > 0 && joined ? executionsJoiningTo(joined, MAX_SPLITS) : [];
      // An engine folder too many executions could share is left alone, whoever else the key fits.
      if (joining === undefined) return [];
      owners.push(...joining);
    }
    return owners;
  }

  /** Nobody's, by now: every execution the key could belong to is gone, and it was written before the cutoff. */
  async function orphaned(b: BlobEntry, cutoff: number, known: Map<string, boolean>): Promise<boolean> {
    if (b.modifiedAt.getTime() > cutoff) return false;
    const owners = ownersOf(b.key);
    if (owners.length === 0) return false;
    for (const e of owners) {
      const id = JSON.stringify([e.project, e.domain, e.name]);
      let taken = known.get(id);
      if (taken === undefined) known.set(id, (taken = await o.taken(e)));
      if (taken) return false;
    }
    return true;
  }

  return {
    /**
     * Looks at up to `maxKeys` keys under `metadata/`, going on from where the last call
     * stopped, and removes (or, in a dry run, counts) the orphans among them.
     * `done` says the walk reached the end (the next call starts over).
     */
    async sweep(maxKeys: number, dryRun: boolean): Promise<FileTally & { done: boolean }> {
      const tally = { files: 0, bytes: 0, done: false };
      const cutoff = clock().getTime() - minAgeMs;
      const known = new Map<string, boolean>();
      let looked = 0;
      while (looked < maxKeys) {
        const want = Math.min(PAGE, maxKeys - looked);
        const page = await o.blobs.listPage("metadata/", cursor, want);
        looked += page.length;
        cursor = page.length < want ? "" : page[page.length - 1]!.key;
        for (const b of page) {
          if (!(await orphaned(b, cutoff, known))) continue;
          if (!dryRun) {
            // Looked at again just before: a new execution of the same name may have written here since the page was read.
            const [now] = await o.blobs.listPage(b.key, "", 1);
            if (now?.key !== b.key || now.modifiedAt.getTime() > cutoff) continue;
            if (!(await orphaned(now, cutoff, new Map()))) continue;
            await o.blobs.delete(b.key);
          }
          tally.files++;
          tally.bytes += b.size;
        }
        if (cursor === "") {
          tally.done = true;
          break;
        }
      }
      return tally;
    },
  };
}

export type OrphanBlobs = ReturnType<typeof createOrphanBlobs>;

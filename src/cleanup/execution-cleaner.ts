import { TERMINAL_PHASES } from "../core/retention.js";
import type { Logger } from "../logger.js";
import type { Store, ExecutionKey } from "../storage/store.js";
import type { CandidateCursor } from "../storage/deletion-store.js";
import type { ExecutionFiles, FileTally } from "./execution-files.js";
import type { OrphanBlobs } from "./orphan-blobs.js";

/** Which executions a cleanup pass deletes. */
export interface CleanupSelection {
  readonly project?: string | undefined;
  readonly domain?: string | undefined;
  /** Terminal phases a top-level execution may be in. */
  readonly phases: readonly string[];
  /** How long executions of a project and domain are kept after their last change; undefined: kept. */
  maxAgeFor(project: string, domain: string): number | undefined;
  /** The smallest age any project and domain in scope is kept (what the candidate query uses). */
  readonly minAgeMs: number;
  /** Most executions (with their descendants) one pass deletes. */
  readonly limit: number;
  /** Asked before each execution: true ends the pass there (shutdown). */
  readonly shouldStop?: () => boolean;
}

export interface CleanupReport {
  /** Executions deleted (descendants included), or that would be in a dry run. */
  executions: number;
  rows: number;
  files: number;
  bytes: number;
  /** Executions in scope left alone, with the reason (the first 100). */
  refused: { id: string; reason: string }[];
  refusedCount: number;
}

export interface CleanupMetrics {
  deleted(report: Pick<CleanupReport, "executions" | "rows" | "files" | "bytes">): void;
  /** Blobs removed whose execution was gone (see orphan-blobs.ts). */
  orphansDeleted?(tally: FileTally): void;
}

/** An execution that may not be deleted (yet): a clear reason, for the command's exit status and message. */
export class CleanupRefused extends Error {
  override name = "CleanupRefused";
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

export interface ExecutionCleanerOptions {
  store: Store;
  files: ExecutionFiles;
  /** Blobs of executions that are gone; without it, none are looked for. */
  orphans?: OrphanBlobs;
  logger: Logger;
  clock?: () => Date;
  metrics?: CleanupMetrics;
  /** Rows one transaction deletes (default 500): short transactions, never a long lock. */
  batchRows?: number;
  /** Most executions one tree may hold (default 1,000); larger trees are refused. */
  maxTree?: number;
}

const CANDIDATE_PAGE = 100;
const MAX_REFUSED_LISTED = 100;
const text = (k: ExecutionKey) => `${k.project}/${k.domain}/${k.name}`;

/**
 * Deletes terminal executions with everything they own. An execution goes
 * with its whole tree of child executions (launch-plan nodes) or not at all:
 * retention picks top-level executions only (a child goes with its parent), and
 * a tree with any execution still running is refused. Each tree is marked in
 * one transaction (gone for readers from then on), then its rows go in
 * bounded batches, then its files, then the mark; a stopped run is finished
 * by the next one (`resume`).
 */
export function createExecutionCleaner(o: ExecutionCleanerOptions) {
  const { store, files, logger } = o;
  const clock = o.clock ?? (() => new Date());
  const batchRows = o.batchRows ?? 500;
  const maxTree = o.maxTree ?? 1_000;
  const deletions = store.deletions;

  const emptyReport = (): CleanupReport => ({ executions: 0, rows: 0, files: 0, bytes: 0, refused: [], refusedCount: 0 });
  const refuse = (r: CleanupReport, k: ExecutionKey, reason: string) => {
    r.refusedCount++;
    if (r.refused.length < MAX_REFUSED_LISTED) r.refused.push({ id: text(k), reason });
  };

  /** The execution and its descendants, parents first; a reason instead when one of them may not be deleted. */
  async function treeOf(root: ExecutionKey): Promise<ExecutionKey[] | string> {
    const tree: ExecutionKey[] = [];
    const seen = new Set<string>();
    const queue = [root];
    while (queue.length > 0) {
      const k = queue.shift()!;
      if (seen.has(text(k))) continue;
      seen.add(text(k));
      const facts = await deletions.facts(k);
      if (!facts) continue; // a child that is already gone
      if (!TERMINAL_PHASES.includes(facts.phase)) return k === root ? `it is ${facts.phase}; terminate it first` : `its child execution ${text(k)} is ${facts.phase}`;
      if (facts.engineActive) return `the engine still runs ${text(k)}`;
      tree.push(k);
      if (tree.length > maxTree) return `it has more than ${maxTree} child executions`;
      queue.push(...(await deletions.children(k, maxTree)));
    }
    return tree;
  }

  /** Removes what a marked execution still owns, then its mark. */
  async function purge(k: ExecutionKey, r: CleanupReport): Promise<void> {
    for (let n = await deletions.purgeRows(k, batchRows); n > 0; n = await deletions.purgeRows(k, batchRows)) r.rows += n;
    // The mark goes last: a run killed anywhere before leaves it, so the next run finds the execution
    // again and deletes what is left (every step is a no-op for what is already gone).
    const gone = await files.remove(k);
    r.files += gone.files;
    r.bytes += gone.bytes;
    await deletions.finish(k);
  }

  /** Deletes a tree (or counts it, in a dry run); false when it changed meanwhile and nothing was done. */
  async function deleteTree(tree: ExecutionKey[], r: CleanupReport, dryRun: boolean): Promise<boolean> {
    if (dryRun) {
      for (const k of tree) {
        r.rows += await deletions.countRows(k);
        const tally = await files.measure(k);
        r.files += tally.files;
        r.bytes += tally.bytes;
      }
      r.executions += tree.length;
      return true;
    }
    if (!(await deletions.mark(tree, TERMINAL_PHASES, clock()))) return false;
    const done = emptyReport();
    // The execution rows went with the mark (tags are counted by purge).
    done.rows += tree.length;
    for (const k of tree) await purge(k, done);
    done.executions = tree.length;
    o.metrics?.deleted(done);
    for (const key of ["executions", "rows", "files", "bytes"] as const) r[key] += done[key];
    logger.info("executions deleted", { root: text(tree[0]!), executions: tree.length, rows: done.rows, files: done.files, bytes: done.bytes });
    return true;
  }

  /** Completes the deletion of an execution a stopped run had marked. */
  async function finishMarked(k: ExecutionKey, r: CleanupReport): Promise<void> {
    const done = emptyReport();
    await purge(k, done);
    done.executions = 1;
    o.metrics?.deleted(done);
    for (const key of ["executions", "rows", "files", "bytes"] as const) r[key] += done[key];
    logger.info("finished an interrupted execution deletion", { execution: text(k), rows: done.rows, files: done.files });
  }

  /** Is `parent` still there (stored, or being deleted)? Then its child goes with it, not on its own. */
  const present = async (parent: ExecutionKey) => (await deletions.facts(parent)) !== undefined || (await deletions.isMarked(parent));

  return {
    /** Finishes deletions a stopped run left behind (at most `limit` executions). */
    async resume(limit = 1_000): Promise<CleanupReport> {
      const r = emptyReport();
      for (const k of await deletions.pending(limit)) await finishMarked(k, r);
      return r;
    },

    /** Removes this host's run folders of executions that are gone. */
    sweepRunFolders: (limit: number) => files.sweepRunFolders(limit),

    /** Removes (or counts) blobs of executions that are gone, looking at up to `maxKeys` keys from where the last call stopped. */
    async sweepOrphans(maxKeys: number, dryRun: boolean): Promise<FileTally & { done: boolean }> {
      const swept = o.orphans ? await o.orphans.sweep(maxKeys, dryRun) : { files: 0, bytes: 0, done: true };
      if (!dryRun && swept.files > 0) {
        o.metrics?.orphansDeleted?.(swept);
        logger.info("orphaned execution blobs deleted", { files: swept.files, bytes: swept.bytes });
      }
      return swept;
    },

    /** Deletes (or, with dryRun, counts) what the selection covers, oldest first. */
    async run(sel: CleanupSelection, dryRun: boolean): Promise<CleanupReport> {
      const r = emptyReport();
      const now = clock();
      const before = new Date(now.getTime() - sel.minAgeMs);
      let cursor: CandidateCursor | undefined;
      while (r.executions < sel.limit) {
        const page = await deletions.candidates({ project: sel.project, domain: sel.domain, before, phases: sel.phases }, cursor, CANDIDATE_PAGE);
        for (const c of page) {
          if (r.executions >= sel.limit || sel.shouldStop?.()) return r;
          const maxAge = sel.maxAgeFor(c.key.project, c.key.domain);
          if (maxAge === undefined || c.updatedAt.getTime() >= now.getTime() - maxAge) continue;
          const facts = await deletions.facts(c.key);
          if (!facts) continue;
          if (facts.parent && (await present(facts.parent))) continue;
          const tree = await treeOf(c.key);
          if (typeof tree === "string") refuse(r, c.key, tree);
          else if (!(await deleteTree(tree, r, dryRun))) refuse(r, c.key, "it changed while it was being deleted");
        }
        if (page.length < CANDIDATE_PAGE) break;
        const last = page[page.length - 1]!;
        cursor = { updatedAt: last.updatedAt, key: last.key };
      }
      return r;
    },

    /**
     * Deletes one execution with its child executions (or counts them); CleanupRefused when it
     * is missing, still running, has a running child, or is itself a child of an existing execution.
     */
    async deleteOne(k: ExecutionKey, dryRun: boolean): Promise<CleanupReport> {
      const r = emptyReport();
      const facts = await deletions.facts(k);
      if (!facts) {
        if (!dryRun && (await deletions.isMarked(k))) {
          await finishMarked(k, r);
          return r;
        }
        throw new CleanupRefused(`execution ${text(k)} not found`, true);
      }
      if (facts.parent && (await present(facts.parent))) {
        throw new CleanupRefused(`execution ${text(k)} was launched by ${text(facts.parent)}; delete that one (it takes its children along)`);
      }
      const tree = await treeOf(k);
      if (typeof tree === "string") throw new CleanupRefused(`execution ${text(k)} cannot be deleted: ${tree}`);
      if (!(await deleteTree(tree, r, dryRun))) throw new CleanupRefused(`execution ${text(k)} changed while it was being deleted; try again`);
      return r;
    },
  };
}

export type ExecutionCleaner = ReturnType<typeof createExecutionCleaner>;

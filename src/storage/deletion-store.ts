import type { ExecutionKey } from "./store.js";

/** A terminal execution retention may delete, with what choosing it needs. */
export interface RetentionCandidate {
  readonly key: ExecutionKey;
  readonly phase: string;
  readonly updatedAt: Date;
}

/** Where retention looks: terminal executions last changed before `before`, optionally in one project and domain. */
export interface CandidateScope {
  readonly project?: string | undefined;
  readonly domain?: string | undefined;
  readonly before: Date;
  /** Phase names (e.g. "SUCCEEDED") that may be deleted. */
  readonly phases: readonly string[];
}

/** Where a candidate scan stopped: the next scan starts after it. */
export interface CandidateCursor {
  readonly updatedAt: Date;
  readonly key: ExecutionKey;
}

/** What deleting an execution has to know about it. */
export interface ExecutionFacts {
  readonly phase: string;
  /** spec.metadata.parent_node_execution's execution: the execution a launch-plan node started this one from. */
  readonly parent: ExecutionKey | undefined;
  /** The local engine still runs it (its engine row is active). */
  readonly engineActive: boolean;
}

/**
 * Deleting executions with everything they own, crash-safe: `mark` moves the
 * execution rows out of `executions` into `execution_deletions` in one short
 * transaction (readers see the execution whole until then, absent after),
 * `purgeRows` then removes the rest in bounded batches, and `finish` forgets
 * the mark once blobs are gone too. A mark left by a stopped run is found
 * again by `pending`.
 */
export interface DeletionStore {
  /** Candidates oldest first (last change, then key), after `cursor`; at most `limit`. */
  candidates(scope: CandidateScope, cursor: CandidateCursor | undefined, limit: number): Promise<RetentionCandidate[]>;
  /** undefined when there is no such execution (or it is being deleted). */
  facts(key: ExecutionKey): Promise<ExecutionFacts | undefined>;
  /**
   * The executions launched by this execution's nodes (their closures'
   * workflow node metadata), at most `limit` (more means: too many to handle).
   */
  children(key: ExecutionKey, limit: number): Promise<ExecutionKey[]>;
  /** Rows the execution owns in each table (the execution row and its tags included), for a dry run. */
  countRows(key: ExecutionKey): Promise<number>;
  /**
   * Moves the executions out of `executions` (their tags go too) into
   * `execution_deletions`, all in one transaction, when every one is still in
   * one of `phases` and not run by the engine; false, with nothing changed, otherwise.
   */
  mark(keys: readonly ExecutionKey[], phases: readonly string[], now: Date): Promise<boolean>;
  /** Executions being deleted, oldest mark first; at most `limit`. */
  pending(limit: number): Promise<ExecutionKey[]>;
  isMarked(key: ExecutionKey): Promise<boolean>;
  /**
   * Deletes at most `limit` of the rows a marked execution still owns (node
   * and task executions, events, signals, engine state), in one short
   * transaction; the number deleted, 0 once none are left.
   */
  purgeRows(key: ExecutionKey, limit: number): Promise<number>;
  /** Forgets the mark: the execution is gone for good (its name may be used again). */
  finish(key: ExecutionKey): Promise<void>;
}

/** A named piece of work one replica does at a time. */
export interface LeaseStore {
  /**
   * Takes the lease for `owner` until `now + ttlMs` when it is free, expired
   * or already `owner`'s (then it is extended); false when another owner holds it.
   */
  acquire(name: string, owner: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  release(name: string, owner: string): Promise<void>;
}

/** The key of an engine row: one per workflow execution the local engine runs. */
export interface EngineKey {
  project: string;
  domain: string;
  name: string;
}

/**
 * The local engine's durable state of one execution (engine-spec §8.3).
 * `definition` is written once; `status` is rewritten by every round that
 * changes something, guarded by `version` (compare-and-set), so a round that
 * lost a race changes nothing.
 */
export interface EngineWorkflowRow extends EngineKey {
  /** What the execution runs (JSON text owned by the engine; immutable). */
  definition: string;
  /** Where the execution is (JSON text owned by the engine). */
  status: string;
  /** Bumped by every successful update. A new row has version 1. */
  version: number;
  /** False once the engine has reported a terminal workflow phase; such rows are never loaded at start-up. */
  active: boolean;
  /** Set by TerminateExecution; the next round aborts the execution. */
  abortCause: string | undefined;
  /** When the engine wants its next round at the latest (timers survive a restart through this). */
  nextWakeAt: Date | undefined;
  createdAt: Date;
  /** When the status was last written (an abort request leaves it). */
  updatedAt: Date;
}

export interface EngineStatusUpdate {
  status: string;
  active: boolean;
  nextWakeAt: Date | undefined;
}

/**
 * Every write is a single statement, atomic without a transaction. Failures
 * are the database's own errors, unchanged, so `databaseFailure`
 * (database-errors.ts) tells an outage (retry later) from a bug.
 */
export interface EngineStore {
  /** Inserts a new row (version 1, active, no abort cause); false when the key already has one. */
  create(row: { key: EngineKey; definition: string; status: string; nextWakeAt?: Date | undefined }): Promise<boolean>;
  get(key: EngineKey): Promise<EngineWorkflowRow | undefined>;
  /** The row without its definition, for a reader that keeps the (immutable) definition already. */
  getState(key: EngineKey): Promise<Omit<EngineWorkflowRow, "definition"> | undefined>;
  /**
   * Writes the status if the row is still at `expectedVersion` (then version + 1); false otherwise or when absent.
   * Of concurrent updates from one version exactly one succeeds. The abort cause is left as it is.
   */
  update(key: EngineKey, expectedVersion: number, update: EngineStatusUpdate): Promise<boolean>;
  /** Records the abort cause (first one wins, version unchanged); false when there is no active row. */
  requestAbort(key: EngineKey, cause: string): Promise<boolean>;
  /** Every active row, oldest first (start-up resumes them all). */
  listActive(): Promise<EngineWorkflowRow[]>;
}

import type { Labels } from "../../gen/flyteidl/admin/common_pb.js";
import type { MatchableResource, MatchingAttributes } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import type { Project } from "../../gen/flyteidl/admin/project_pb.js";
import type { ListQuery } from "../core/list-query.js";
import type { AttributeKey, ScopedAttributes } from "../core/matchable.js";

/**
 * What every handler depends on for persistence. Rows come back as flyteidl
 * messages; failures are AdminErrors (e.g. AlreadyExists with FlyteAdmin's
 * duplicate-key message). One implementation (SqlStore) serves SQLite and
 * PostgreSQL.
 */
export interface Store {
  readonly projects: ProjectStore;
  readonly attributes: AttributeStore;
  /** "sqlite" or "postgres", for logs and the start-up banner. */
  readonly dialect: string;
  close(): Promise<void>;
}

/** UpdateProject writes only what is set (FlyteAdmin's non-zero-field update); state always. */
export interface ProjectPatch {
  readonly name?: string;
  readonly description?: string;
  readonly labels?: Labels;
  readonly state: number;
}

export interface ProjectStore {
  /** Inserts a project; AlreadyExists when the id is taken. `domains` is never stored. */
  create(project: Project): Promise<void>;
  get(id: string): Promise<Project | undefined>;
  /** Applies the patch; false when no project has this id. */
  update(id: string, patch: ProjectPatch): Promise<boolean>;
  list(query: ListQuery): Promise<Project[]>;
}

/** Matchable attributes, one row per (project, domain, workflow, launch plan, resource type). */
export interface AttributeStore {
  /**
   * Writes attributes at exactly this key. Without `merge` they replace what
   * is there; with it, `merge(existing, next)` decides what is written when a
   * row exists (atomically, however many writers race).
   */
  put(
    key: AttributeKey,
    attributes: MatchingAttributes,
    merge?: (existing: MatchingAttributes, next: MatchingAttributes) => MatchingAttributes,
  ): Promise<void>;
  /** The row at exactly this key. */
  get(key: AttributeKey): Promise<MatchingAttributes | undefined>;
  /** The most specific row that applies to the key (its own level or a coarser one), with its scope. */
  resolve(key: AttributeKey): Promise<ScopedAttributes | undefined>;
  /** Deletes exactly this key's row; false when there was none. */
  delete(key: AttributeKey): Promise<boolean>;
  /** Every row of a type, most specific first. */
  list(resourceType: MatchableResource): Promise<ScopedAttributes[]>;
}

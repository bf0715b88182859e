import type { Labels } from "../../gen/flyteidl/admin/common_pb.js";
import type { Project } from "../../gen/flyteidl/admin/project_pb.js";
import type { ListQuery } from "../core/list-query.js";

/**
 * What every handler depends on for persistence. Rows come back as flyteidl
 * messages; failures are AdminErrors (e.g. AlreadyExists with FlyteAdmin's
 * duplicate-key message). One implementation (SqlStore) serves SQLite and
 * PostgreSQL.
 */
export interface Store {
  readonly projects: ProjectStore;
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

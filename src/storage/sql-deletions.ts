import { fromBinary } from "@bufbuild/protobuf";
import { and, asc, count, eq, gt, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { ExecutionSpecSchema } from "../../gen/flyteidl/admin/execution_pb.js";
import { NodeExecutionClosureSchema } from "../../gen/flyteidl/admin/node_execution_pb.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";
import type { DeletionStore } from "./deletion-store.js";
import type { Db, Dialect } from "./dialect.js";
import type { ExecutionKey } from "./store.js";

/** Node executions decoded per page while looking for child executions. */
const CHILD_PAGE = 200;

/** Thrown inside `mark`'s transaction to undo it: one of the executions may not be deleted (any more). */
class NotDeletable extends Error {}

export function createSqlDeletions(d: Dialect): DeletionStore {
  const s = d.schema;
  const e = s.executions;
  const marks = s.executionDeletions;
  const keyOf = (k: ExecutionKey) => and(eq(e.project, k.project), eq(e.domain, k.domain), eq(e.name, k.name));
  const markOf = (k: ExecutionKey) => and(eq(marks.project, k.project), eq(marks.domain, k.domain), eq(marks.name, k.name));
  const triple = (p: SQLiteColumn, dm: SQLiteColumn, n: SQLiteColumn, k: ExecutionKey) => and(eq(p, k.project), eq(dm, k.domain), eq(n, k.name));

  /** Every table holding rows of an execution besides `executions`, with the condition selecting them; children first. */
  const owned = (k: ExecutionKey): [SQLiteTable, SQL][] => [
    [s.taskExecutions, triple(s.taskExecutions.executionProject, s.taskExecutions.executionDomain, s.taskExecutions.executionName, k)!],
    [s.nodeExecutions, triple(s.nodeExecutions.project, s.nodeExecutions.domain, s.nodeExecutions.name, k)!],
    [s.executionEvents, triple(s.executionEvents.project, s.executionEvents.domain, s.executionEvents.name, k)!],
    [s.signals, triple(s.signals.project, s.signals.domain, s.signals.name, k)!],
    [s.engineWorkflows, triple(s.engineWorkflows.project, s.engineWorkflows.domain, s.engineWorkflows.name, k)!],
    [s.executionTags, triple(s.executionTags.project, s.executionTags.domain, s.executionTags.name, k)!],
  ];

  /**
   * Deletes at most `limit` rows matching `where`: neither dialect has DELETE … LIMIT,
   * so the rows are picked by their physical id (SQLite's rowid, PostgreSQL's ctid,
   * which `= ANY(ARRAY(…))` turns into a TID scan) through the key index.
   */
  const deleteSome = async (db: Db, table: SQLiteTable, where: SQL, limit: number): Promise<number> => {
    const id = sql.raw(d.name === "postgres" ? "ctid" : "rowid");
    const picked = db.select({ id: sql`${id}` }).from(table).where(where).limit(limit);
    const condition = d.name === "postgres" ? sql`${id} = ANY(ARRAY(${picked}))` : sql`${id} IN (${picked})`;
    const gone = await db.delete(table).where(condition).returning({ one: sql`1` });
    return gone.length;
  };

  return {
    async candidates(scope, cursor, limit) {
      const after = cursor
        ? or(
            gt(e.updatedAt, cursor.updatedAt),
            and(eq(e.updatedAt, cursor.updatedAt), sql`(${e.project}, ${e.domain}, ${e.name}) > (${cursor.key.project}, ${cursor.key.domain}, ${cursor.key.name})`),
          )
        : undefined;
      const rows = await d.run((db) =>
        db
          .select({ project: e.project, domain: e.domain, name: e.name, phase: e.phase, updatedAt: e.updatedAt })
          .from(e)
          .where(
            and(
              scope.project !== undefined ? eq(e.project, scope.project) : undefined,
              scope.domain !== undefined ? eq(e.domain, scope.domain) : undefined,
              lt(e.updatedAt, scope.before),
              // An expression, not the column: the phase index would have the query sort every
              // terminal execution, where walking the last-change index stops after `limit` rows.
              inArray(sql`${e.phase} || ''`, [...scope.phases]),
              after,
            ),
          )
          .orderBy(asc(e.updatedAt), asc(e.project), asc(e.domain), asc(e.name))
          .limit(limit),
      );
      return rows.map((r) => ({ key: { project: r.project, domain: r.domain, name: r.name }, phase: r.phase, updatedAt: r.updatedAt }));
    },

    async facts(key) {
      const w = s.engineWorkflows;
      const [row] = await d.run((db) =>
        db
          .select({ phase: e.phase, spec: e.spec, active: w.active })
          .from(e)
          .leftJoin(w, and(eq(w.project, e.project), eq(w.domain, e.domain), eq(w.name, e.name)))
          .where(keyOf(key)),
      );
      if (!row) return undefined;
      const parent = fromBinary(ExecutionSpecSchema, row.spec, BINARY_READ_OPTIONS).metadata?.parentNodeExecution?.executionId;
      return {
        phase: row.phase,
        parent: parent && parent.name !== "" ? { project: parent.project, domain: parent.domain, name: parent.name } : undefined,
        engineActive: row.active === true,
      };
    },

    async children(key, limit) {
      const n = s.nodeExecutions;
      const found = new Map<string, ExecutionKey>();
      let afterNode: string | undefined;
      for (;;) {
        const rows = await d.run((db) =>
          db
            .select({ nodeId: n.nodeId, closure: n.closure })
            .from(n)
            .where(and(triple(n.project, n.domain, n.name, key), afterNode !== undefined ? gt(n.nodeId, afterNode) : undefined))
            .orderBy(asc(n.nodeId))
            .limit(CHILD_PAGE),
        );
        for (const r of rows) {
          const meta = fromBinary(NodeExecutionClosureSchema, r.closure, BINARY_READ_OPTIONS).targetMetadata;
          const id = meta.case === "workflowNodeMetadata" ? meta.value.executionId : undefined;
          if (id && id.name !== "") found.set(JSON.stringify([id.project, id.domain, id.name]), { project: id.project, domain: id.domain, name: id.name });
          if (found.size > limit) return [...found.values()];
        }
        if (rows.length < CHILD_PAGE) return [...found.values()];
        afterNode = rows[rows.length - 1]!.nodeId;
      }
    },

    async countRows(key) {
      let total = 0;
      for (const [table, where] of [[e, keyOf(key)!] as [SQLiteTable, SQL], ...owned(key)]) {
        const [row] = await d.run((db) => db.select({ n: count() }).from(table).where(where));
        total += Number(row?.n ?? 0);
      }
      return total;
    },

    async mark(keys, phases, now) {
      try {
        return await d.transaction(async (tx) => {
          for (const k of keys) {
            const w = s.engineWorkflows;
            const [engine] = await tx.select({ active: w.active }).from(w).where(triple(w.project, w.domain, w.name, k));
            if (engine?.active) throw new NotDeletable();
            const gone = await tx
              .delete(e)
              .where(and(keyOf(k), inArray(e.phase, [...phases])))
              .returning({ name: e.name });
            if (gone.length === 0) throw new NotDeletable();
            await tx.insert(marks).values({ ...k, markedAt: now }).onConflictDoNothing();
          }
          return true;
        });
      } catch (err) {
        if (err instanceof NotDeletable) return false;
        throw err;
      }
    },

    async pending(limit) {
      const rows = await d.run((db) =>
        db.select({ project: marks.project, domain: marks.domain, name: marks.name }).from(marks).orderBy(asc(marks.markedAt)).limit(limit),
      );
      return rows;
    },

    async isMarked(key) {
      const rows = await d.run((db) => db.select({ name: marks.name }).from(marks).where(markOf(key)));
      return rows.length > 0;
    },

    async purgeRows(key, limit) {
      // One table per call: each batch is its own short transaction.
      for (const [table, where] of owned(key)) {
        const n = await d.transaction((tx) => deleteSome(tx, table, where, limit));
        if (n > 0) return n;
      }
      return 0;
    },

    async finish(key) {
      await d.run((db) => db.delete(marks).where(markOf(key)));
    },
  };
}

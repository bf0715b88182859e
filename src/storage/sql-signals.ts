import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { and, desc, eq, sql } from "drizzle-orm";
import { type Signal, SignalSchema } from "../../gen/flyteidl/admin/signal_pb.js";
import { LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema } from "../../gen/flyteidl/core/types_pb.js";
import { alreadyExists, notFound } from "../core/errors.js";
import type { ExecutionKey } from "./store.js";
import { SIGNAL_COLUMNS, type SignalKey } from "../core/signals.js";
import type { Dialect } from "./dialect.js";
import type { SignalStore } from "./signal-store.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";

// FlyteAdmin's text for a create that hits the primary key (its Postgres error transformer).
const DUPLICATE = 'value with matching already exists (duplicate key value violates unique constraint "signals_pkey")';

// Rows go only with their execution's deletion, which refuses new ones from its
// mark on, so a key seen taken and then not found again can only be a broken
// database; give up rather than loop.
const MAX_ATTEMPTS = 3;

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

export function createSqlSignals(d: Dialect): SignalStore {
  const t = d.schema.signals;
  type Row = typeof t.$inferSelect;
  const own = {
    execution_project: t.project,
    execution_domain: t.domain,
    execution_name: t.name,
    signal_id: t.signalId,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
  const columns: ColumnMap = { [SIGNAL_COLUMNS.code]: own };
  const marks = d.schema.executionDeletions;
  /**
   * Signals may name an execution that does not exist, so they are not tied to its row as node
   * executions are; those of an execution being deleted are gone for readers all the same.
   */
  const notBeingDeleted = (k: ExecutionKey) =>
    sql`not exists (select 1 from ${marks} where ${and(eq(marks.project, k.project), eq(marks.domain, k.domain), eq(marks.name, k.name))})`;
  const keyOf = (k: SignalKey) => and(eq(t.project, k.project), eq(t.domain, k.domain), eq(t.name, k.name), eq(t.signalId, k.signalId), notBeingDeleted(k));
  const find = async (k: SignalKey): Promise<Row | undefined> => {
    const [row] = await d.run((db) => db.select().from(t).where(keyOf(k)));
    return row;
  };
  // FromSignalModel: the id is rebuilt from the key columns (so a request's
  // `org` is not echoed); empty type/value bytes read as unset, as in Go.
  const toSignal = (row: Row): Signal =>
    create(SignalSchema, {
      id: { signalId: row.signalId, executionId: { project: row.project, domain: row.domain, name: row.name } },
      ...(row.type.length > 0 ? { type: fromBinary(LiteralTypeSchema, row.type, BINARY_READ_OPTIONS) } : {}),
      ...(row.value && row.value.length > 0 ? { value: fromBinary(LiteralSchema, row.value, BINARY_READ_OPTIONS) } : {}),
    });

  return {
    async getOrCreate(key, type) {
      const typeBytes = Buffer.from(toBinary(LiteralTypeSchema, type));
      // Gate nodes poll this until a value is set, so the row usually exists:
      // read first; insert only when absent, letting a concurrent creator win
      // (do-nothing on conflict) and then reading what it wrote.
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const row = await find(key);
        if (row) {
          if (!sameBytes(row.type, typeBytes)) throw alreadyExists(DUPLICATE);
          return toSignal(row);
        }
        const now = new Date();
        const inserted = await d.run((db) =>
          db
            .insert(t)
            .values({ ...key, type: typeBytes, value: null, createdAt: now, updatedAt: now })
            .onConflictDoNothing()
            .returning(),
        );
        const [created] = inserted;
        if (created) return toSignal(created);
        // The insert wrote nothing and no row is readable: the execution is being deleted (the
        // database refuses its signals from the mark on).
        if (!(await find(key))) throw notFound(`execution ${key.project}/${key.domain}/${key.name} is being deleted`);
      }
      throw new Error(`signal ${JSON.stringify(key)} is neither insertable nor readable`);
    },

    async get(key) {
      const row = await find(key);
      return row ? toSignal(row) : undefined;
    },

    async list(execution, query) {
      // FlyteAdmin applies no default order; newest first (then signal id, the
      // only key part that varies within one execution) keeps pages stable.
      const order = orderOf(query.sort, own, [desc(t.createdAt)], [t.signalId]);
      const rows = await d.run((db) => {
        const where = and(
          eq(t.project, execution.project),
          eq(t.domain, execution.domain),
          eq(t.name, execution.name),
          whereOf(query.filters, columns),
          notBeingDeleted(execution),
        );
        return pageOf(db.select().from(t).where(where).orderBy(...order).$dynamic(), query);
      });
      return rows.map(toSignal);
    },

    async setValue(key, value) {
      // Overwrites any earlier value: FlyteAdmin's SetSignal has no already-set check.
      const updated = await d.run((db) =>
        db
          .update(t)
          .set({ value: Buffer.from(toBinary(LiteralSchema, value)), updatedAt: new Date() })
          .where(keyOf(key))
          .returning({ signalId: t.signalId }),
      );
      if (updated.length === 0) throw notFound("signal does not exist");
    },
  };
}

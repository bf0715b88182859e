import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { and, desc } from "drizzle-orm";
import { type Workflow, WorkflowClosureSchema, WorkflowSchema } from "../../gen/flyteidl/admin/workflow_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { TypedInterfaceSchema } from "../../gen/flyteidl/core/interface_pb.js";
import { CompiledWorkflowClosureSchema } from "../../gen/flyteidl/core/compiler_pb.js";
import { WORKFLOW_COLUMNS } from "../core/entity-columns.js";
import type { Dialect } from "./dialect.js";
import { type ColumnMap, orderOf, pageOf, whereOf } from "./sql-list.js";
import { createVersion, listNames, nameScope, versionKey } from "./sql-versions.js";
import { placeholders, preparedQuery } from "./prepared-query.js";
import type { WorkflowStore } from "./store.js";
import { BINARY_READ_OPTIONS } from "../core/proto-limits.js";
import { messageField, messageFieldBytes } from "../core/proto-fields.js";

// admin.WorkflowClosure { compiled_workflow = 1; created_at = 2 }.
const WORKFLOW_CLOSURE_COMPILED = 1;

export function createSqlWorkflows(d: Dialect): WorkflowStore {
  const t = d.schema.workflows;
  type Row = typeof t.$inferSelect;
  const own = {
    project: t.project,
    domain: t.domain,
    name: t.name,
    version: t.version,
    short_description: t.shortDescription,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
  const columns: ColumnMap = { [WORKFLOW_COLUMNS.code]: own };
  const idOf = (row: Row) => ({ resourceType: ResourceType.WORKFLOW, project: row.project, domain: row.domain, name: row.name, version: row.version });

  const toWorkflow = (row: Row): Workflow => {
    const closure = fromBinary(WorkflowClosureSchema, row.closure, BINARY_READ_OPTIONS);
    closure.createdAt = timestampFromDate(row.createdAt);
    return create(WorkflowSchema, { id: idOf(row), closure, shortDescription: row.shortDescription });
  };
  // What list answers carry (FlyteAdmin's minimal closure): the interface and created_at only.
  const toListed = (row: Row): Workflow =>
    create(WorkflowSchema, {
      id: idOf(row),
      closure: {
        createdAt: timestampFromDate(row.createdAt),
        compiledWorkflow: {
          primary: { template: { interface: row.typedInterface ? fromBinary(TypedInterfaceSchema, row.typedInterface, BINARY_READ_OPTIONS) : {} } },
        },
      },
      shortDescription: row.shortDescription,
    });

  const byKey = preparedQuery<Row[]>(d, "workflow_by_key", (db) => db.select().from(t).where(versionKey(t, placeholders("project", "domain", "name", "version"))));
  // Every launch reads its workflow's compiled closure.
  const compiledByKey = preparedQuery<{ closure: Buffer }[]>(d, "workflow_compiled_by_key", (db) =>
    db.select({ closure: t.closure }).from(t).where(versionKey(t, placeholders("project", "domain", "name", "version"))),
  );

  return {
    create(workflow, typedInterface, digest, description) {
      // The stored closure is the compiled workflow alone (created_at comes from the row).
      const closure = workflow.compiled ? messageField(WORKFLOW_CLOSURE_COMPILED, workflow.compiled) : new Uint8Array();
      const columns = {
        closure: Buffer.from(closure.buffer, closure.byteOffset, closure.byteLength),
        typedInterface: typedInterface ? Buffer.from(toBinary(TypedInterfaceSchema, typedInterface)) : null,
        digest: Buffer.from(digest),
        shortDescription: workflow.shortDescription,
      };
      return createVersion(d, ResourceType.WORKFLOW, t, workflow.id, columns, toWorkflow, description);
    },

    async get(id) {
      const [row] = await byKey({ project: id.project, domain: id.domain, name: id.name, version: id.version });
      return row ? toWorkflow(row) : undefined;
    },

    async getCompiled(id) {
      const [row] = await compiledByKey({ project: id.project, domain: id.domain, name: id.name, version: id.version });
      if (!row) return undefined;
      // The stored closure holds the compiled workflow alone; any other form is decoded and encoded again.
      const compiled = messageFieldBytes(row.closure, WORKFLOW_CLOSURE_COMPILED);
      if (compiled) return compiled;
      const closure = fromBinary(WorkflowClosureSchema, row.closure, BINARY_READ_OPTIONS);
      return toBinary(CompiledWorkflowClosureSchema, closure.compiledWorkflow ?? create(CompiledWorkflowClosureSchema));
    },

    async getInterface(id) {
      const [row] = await d.run((db) => db.select({ typedInterface: t.typedInterface }).from(t).where(versionKey(t, id)));
      if (!row) return undefined;
      return { typedInterface: row.typedInterface ? fromBinary(TypedInterfaceSchema, row.typedInterface, BINARY_READ_OPTIONS) : undefined };
    },

    async list(scope, query) {
      const order = orderOf(query.sort, own, [desc(t.createdAt)], [t.name, t.version]);
      const rows = await d.run((db) =>
        pageOf(db.select().from(t).where(and(nameScope(t, scope), whereOf(query.filters, columns))).orderBy(...order).$dynamic(), query),
      );
      return rows.map(toListed);
    },

    listIds: (scope, query) => listNames(d, t, scope, query),
  };
}

import { create, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import {
  type NamedEntityListRequest,
  NamedEntityListRequestSchema,
  NamedEntityListSchema,
  NamedEntityMetadataSchema,
  Sort_Direction,
} from "../../gen/flyteidl/admin/common_pb.js";
import { LaunchPlanSchema } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { TaskSchema } from "../../gen/flyteidl/admin/task_pb.js";
import { IdentifierSchema, ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import type { ApiDeps } from "../../src/api/deps.js";
import { namedEntityHandlers } from "../../src/api/named-entities.js";
import { createSqlStore } from "../../src/storage/sql-store.js";
import { type NamedResourceType, PACKED_NAME_END, type Store } from "../../src/storage/store.js";
import { backends } from "../helpers/backends.js";

/**
 * A binary ListNamedEntities answer is written from the page the database
 * packs; it must be byte for byte toBinary of the answer a JSON caller gets,
 * for any page: filters, sort keys, archived and odd states, descriptions
 * (the packing's separator included), tokens.
 */
const SCOPES = [
  { project: "p", domain: "d" },
  { project: "proj-é", domain: "staging" },
];
const TYPES = [ResourceType.TASK, ResourceType.WORKFLOW, ResourceType.LAUNCH_PLAN] as const;
const STATES = [0, 0, 0, 1, 1, 2, 7, -3];
const FILTERS = [
  "",
  "eq(state,0)",
  "eq(state,1)",
  "ne(state,0)",
  "value_in(state,0;2;7)",
  "contains(name,a)",
  "not_like(name,.flytegen%)",
  "gt(name,m)+eq(state,0)",
  "contains(description,é)",
  "value_not_in(state,1)",
  "gte(named_entity_metadata.created_at,2000-01-01T00:00:00Z)",
  "lt(named_entity_metadata.updated_at,2000-01-01T00:00:00Z)",
];
const SORT_KEYS = ["name", "description", "state", "project", "resource_type"];

/** A small deterministic generator, so a failure can be replayed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function text(random: () => number, pieces: readonly string[], min: number, max: number): string {
  const length = min + Math.floor(random() * (max - min + 1));
  let s = "";
  for (let i = 0; i < length; i++) s += pieces[Math.floor(random() * pieces.length)];
  return s;
}
const NAME_PIECES = ["a", "m", "z", "Q", "0", "9", ".", "_", "-", "é", "ß", "中", "🙂"];
const DESCRIPTION_PIECES = [...NAME_PIECES, " ", "\t", "\n", "\u0001", "\ud800", "€", "ﬀ"];

function createVersion(store: Store, type: NamedResourceType, scope: { project: string; domain: string }, name: string) {
  const id = create(IdentifierSchema, { resourceType: type, ...scope, name, version: "v1" });
  const digest = Buffer.from(`${scope.project}/${scope.domain}/${name}`);
  if (type === ResourceType.TASK) return store.tasks.create(create(TaskSchema, { id }), digest, "python-task");
  if (type === ResourceType.WORKFLOW) return store.workflows.create({ id, shortDescription: "" }, undefined, digest);
  const workflowId = create(IdentifierSchema, { ...id, resourceType: ResourceType.WORKFLOW });
  return store.launchPlans.create(create(LaunchPlanSchema, { id, spec: { workflowId } }), digest, "NONE");
}

const context = (contentType: string) => ({ requestHeader: new Headers({ "content-type": contentType }) }) as unknown as HandlerContext;
const BINARY = context("application/proto");
const JSON_CALL = context("application/json");

describe.each(backends)("ListNamedEntities pages on $name", ({ open }) => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  // PGlite takes long to start on a loaded host.
  it("answers binary callers with toBinary of the JSON answer, over many random pages", { timeout: 240_000 }, async () => {
    const s = (store = createSqlStore(await open()));
    const random = mulberry32(42);
    const separated = new Set<string>();
    for (const scope of SCOPES) {
      for (const type of TYPES) {
        const names = new Set<string>();
        while (names.size < 40) names.add((random() < 0.15 ? ".flytegen." : "") + text(random, NAME_PIECES, 1, 30));
        for (const name of names) {
          await createVersion(s, type, scope, name);
          if (random() < 0.6) {
            // A tenth of the described names hold the packing's separator.
            const description = random() < 0.1 ? `${text(random, DESCRIPTION_PIECES, 0, 20)}${PACKED_NAME_END}${text(random, DESCRIPTION_PIECES, 0, 20)}` : text(random, DESCRIPTION_PIECES, 1, 300);
            const state = STATES[Math.floor(random() * STATES.length)]!;
            await s.namedEntities.updateMetadata(type, { ...scope, name }, create(NamedEntityMetadataSchema, { description, state }));
            if (description.includes(PACKED_NAME_END)) separated.add(`${type}/${scope.project}/${scope.domain}/${name}`);
          }
        }
      }
    }
    // Counts the pages read again as entities.
    let relisted = 0;
    const list = s.namedEntities.list.bind(s.namedEntities);
    const handlers = namedEntityHandlers({
      store: { ...s, namedEntities: { ...s.namedEntities, list: (...args: Parameters<typeof list>) => (relisted++, list(...args)) } },
      limits: { maxWorkflowNodes: 1000, maxPageSize: 10_000 },
    } as unknown as ApiDeps);

    let pages = 0;
    let expectedRelists = 0;
    let nonEmpty = 0;
    for (let round = 0; round < 150; round++) {
      const sortKey = random() < 0.2 ? undefined : SORT_KEYS[Math.floor(random() * SORT_KEYS.length)]!;
      const req: NamedEntityListRequest = create(NamedEntityListRequestSchema, {
        resourceType: TYPES[Math.floor(random() * TYPES.length)]!,
        ...SCOPES[Math.floor(random() * SCOPES.length)]!,
        filters: FILTERS[Math.floor(random() * FILTERS.length)]!,
        limit: random() < 0.2 ? 10_000 : 1 + Math.floor(random() * 25),
        token: random() < 0.4 ? "" : String(Math.floor(random() * 40)),
        ...(sortKey ? { sortBy: { key: sortKey, direction: random() < 0.5 ? Sort_Direction.ASCENDING : Sort_Direction.DESCENDING } } : {}),
      });
      const json = await handlers.listNamedEntities(req, JSON_CALL);
      const before = relisted;
      const binary = await handlers.listNamedEntities(req, BINARY);
      const expected = toBinary(NamedEntityListSchema, create(NamedEntityListSchema, json));
      expect(Buffer.from(toBinary(NamedEntityListSchema, binary as never)).equals(Buffer.from(expected)), JSON.stringify(req)).toBe(true);
      // The JSON answer is the message itself; a binary one only carries bytes.
      expect(binary.entities).toEqual([]);
      // Only a page with a separator in a description is read again.
      const hasSeparator = json.entities!.some((e) => separated.has(`${e.resourceType}/${e.id!.project}/${e.id!.domain}/${e.id!.name}`));
      expect(relisted - before).toBe(hasSeparator ? 1 : 0);
      if (hasSeparator) expectedRelists++;
      if (json.entities!.length > 0) nonEmpty++;
      pages++;
    }
    expect(pages).toBe(150);
    // The draw covers empty and non-empty pages, and pages with and without the separator.
    expect(nonEmpty).toBeGreaterThan(75);
    expect(expectedRelists).toBeGreaterThan(3);
    expect(expectedRelists).toBeLessThan(nonEmpty);
  });
});

import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NamedEntityListSchema, NamedEntitySchema } from "../../gen/flyteidl/admin/common_pb.js";
import { encodeNamedEntityList, encodePackedNamedEntityList } from "../../src/api/named-entity-bytes.js";
import { PACKED_NAME_END } from "../../src/storage/store.js";

/** Random text: ASCII, accents, CJK, emoji (surrogate pairs), lone surrogates, empty. */
function text(random: () => number, max: number): string {
  const pieces = ["a", "Z", "9", ".", "_", "é", "ß", "中", "文", "🙂", "🚀", "\ud800", "\udfff", " ", "\u00ff", "\u07ff", "\u0800", "\uffff"];
  const length = Math.floor(random() * max);
  let s = "";
  for (let i = 0; i < length; i++) s += pieces[Math.floor(random() * pieces.length)];
  return s;
}

/** A small deterministic generator, so a failure can be replayed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENUMS = [0, 1, 2, 3, 4, 127, 128, 300, 16_384, 2_147_483_647, -1, -2, -128, -2_147_483_648];

describe("encodeNamedEntityList", () => {
  it("writes exactly toBinary's bytes for many random lists", () => {
    const random = mulberry32(15);
    for (let round = 0; round < 300; round++) {
      const entities = Array.from({ length: Math.floor(random() * 40) }, () =>
        create(NamedEntitySchema, {
          resourceType: ENUMS[Math.floor(random() * ENUMS.length)],
          ...(random() < 0.95 ? { id: { project: text(random, 8), domain: text(random, 8), name: text(random, 60), org: random() < 0.2 ? text(random, 5) : "" } } : {}),
          ...(random() < 0.95 ? { metadata: { description: random() < 0.5 ? "" : text(random, 300), state: ENUMS[Math.floor(random() * ENUMS.length)] } } : {}),
        }),
      );
      const token = random() < 0.5 ? "" : String(Math.floor(random() * 1e6));
      const expected = toBinary(NamedEntityListSchema, create(NamedEntityListSchema, { entities, token }));
      expect(Buffer.from(encodeNamedEntityList(entities, token)).equals(Buffer.from(expected))).toBe(true);
    }
  });

  it("writes long entities and lists whose lengths take several varint bytes", () => {
    const entities = Array.from({ length: 3000 }, (_, i) =>
      create(NamedEntitySchema, { resourceType: 2, id: { project: "p", domain: "d", name: "n".repeat(i % 200) + i }, metadata: { description: "x".repeat(i % 300 === 0 ? 20_000 : 0), state: i % 3 } }),
    );
    const expected = toBinary(NamedEntityListSchema, create(NamedEntityListSchema, { entities, token: "3000" }));
    expect(Buffer.from(encodeNamedEntityList(entities, "3000")).equals(Buffer.from(expected))).toBe(true);
  });

  it("writes an empty list as nothing, or the token alone", () => {
    expect(encodeNamedEntityList([], "")).toEqual(new Uint8Array(0));
    expect(Buffer.from(encodeNamedEntityList([], "7")).equals(Buffer.from(toBinary(NamedEntityListSchema, create(NamedEntityListSchema, { token: "7" }))))).toBe(true);
  });
});

/** What the store packs for these rows (see PackedNames). */
const pack = (rows: readonly { name: string; description: string; state: number }[]) => ({
  count: rows.length,
  text: rows.map((r) => `${r.name}${PACKED_NAME_END}${r.description}${PACKED_NAME_END}${r.state}${PACKED_NAME_END}`).join(""),
});

describe("encodePackedNamedEntityList", () => {
  // What the store's list() makes of the same rows.
  const entitiesOf = (type: number, scope: { project: string; domain: string }, rows: readonly { name: string; description: string; state: number }[]) =>
    rows.map((r) => create(NamedEntitySchema, { resourceType: type, id: { ...scope, name: r.name }, metadata: { description: r.description, state: r.state } }));

  it("writes exactly toBinary's bytes for many random packed pages", () => {
    const random = mulberry32(16);
    for (let round = 0; round < 300; round++) {
      const type = ENUMS[Math.floor(random() * ENUMS.length)]!;
      const scope = { project: text(random, 8), domain: text(random, 8) };
      const rows = Array.from({ length: Math.floor(random() * 40) }, () => ({
        // Lone surrogates come back from the database as U+FFFD, as Buffer.from writes them.
        name: Buffer.from(text(random, 60)).toString(),
        description: random() < 0.5 ? "" : Buffer.from(text(random, 300)).toString(),
        state: ENUMS[Math.floor(random() * ENUMS.length)]!,
      }));
      const token = random() < 0.5 ? "" : String(Math.floor(random() * 1e6));
      const expected = toBinary(NamedEntityListSchema, create(NamedEntityListSchema, { entities: entitiesOf(type, scope, rows), token }));
      const written = encodePackedNamedEntityList(type, scope, pack(rows), token);
      expect(written && Buffer.from(written).equals(Buffer.from(expected))).toBe(true);
    }
  });

  it("writes long pages whose lengths take several varint bytes", () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ name: "n".repeat(i % 200) + i, description: "é".repeat(i % 300 === 0 ? 10_000 : i % 7), state: i % 3 }));
    const scope = { project: "p".repeat(200), domain: "d" };
    const expected = toBinary(NamedEntityListSchema, create(NamedEntityListSchema, { entities: entitiesOf(2, scope, rows), token: "3000" }));
    expect(Buffer.from(encodePackedNamedEntityList(2, scope, pack(rows), "3000")!).equals(Buffer.from(expected))).toBe(true);
  });

  it("writes an empty page as nothing, or the token alone", () => {
    expect(encodePackedNamedEntityList(2, { project: "p", domain: "d" }, { count: 0, text: "" }, "")).toEqual(new Uint8Array(0));
    expect(Buffer.from(encodePackedNamedEntityList(2, { project: "p", domain: "d" }, { count: 0, text: "" }, "7")!).equals(Buffer.from(toBinary(NamedEntityListSchema, create(NamedEntityListSchema, { token: "7" }))))).toBe(true);
  });

  it("refuses a text that does not split into exactly its count of names", () => {
    const scope = { project: "p", domain: "d" };
    const rows = [
      { name: "a", description: "x", state: 0 },
      { name: "b", description: "", state: 1 },
    ];
    const ok = pack(rows);
    expect(encodePackedNamedEntityList(2, scope, ok, "")).toBeDefined();
    // A description holding the separator: one field too many.
    expect(encodePackedNamedEntityList(2, scope, pack([{ name: "a", description: `x${PACKED_NAME_END}y`, state: 0 }, rows[1]!]), "")).toBeUndefined();
    expect(encodePackedNamedEntityList(2, scope, pack([{ name: "a", description: `${PACKED_NAME_END}0`, state: 0 }]), "")).toBeUndefined();
    // More or fewer names than counted, a cut text, a state that is no int32.
    expect(encodePackedNamedEntityList(2, scope, { ...ok, count: 1 }, "")).toBeUndefined();
    expect(encodePackedNamedEntityList(2, scope, { ...ok, count: 3 }, "")).toBeUndefined();
    expect(encodePackedNamedEntityList(2, scope, { ...ok, text: ok.text.slice(0, -1) }, "")).toBeUndefined();
    for (const state of ["", "-", "1x", "2147483648", "-2147483649", "99999999999"]) {
      expect(encodePackedNamedEntityList(2, scope, { count: 1, text: `a${PACKED_NAME_END}${PACKED_NAME_END}${state}${PACKED_NAME_END}` }, ""), state).toBeUndefined();
    }
    expect(Buffer.from(encodePackedNamedEntityList(2, scope, { count: 1, text: `a${PACKED_NAME_END}${PACKED_NAME_END}-2147483648${PACKED_NAME_END}` }, "")!).equals(
      Buffer.from(toBinary(NamedEntityListSchema, create(NamedEntityListSchema, { entities: entitiesOf(2, scope, [{ name: "a", description: "", state: -2147483648 }]) }))),
    )).toBe(true);
  });
});

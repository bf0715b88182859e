import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NamedEntityListSchema, NamedEntitySchema } from "../../gen/flyteidl/admin/common_pb.js";
import { encodeNamedEntityList } from "../../src/api/named-entity-bytes.js";

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

import { describe, expect, it } from "vitest";
import { canonicalQuantity, parseQuantity, QUANTITY_FORMAT_ERROR, wholeUnits } from "../../src/core/quantity.js";

describe("Kubernetes quantities", () => {
  it("parse to base units", () => {
    expect(parseQuantity("500m")).toEqual({ value: 0.5 });
    expect(parseQuantity("1Gi")).toEqual({ value: 2 ** 30 });
    expect(parseQuantity("2k")).toEqual({ value: 2000 });
    expect(parseQuantity("1e3")).toEqual({ value: 1000 });
    expect(parseQuantity("lots")).toEqual({ error: QUANTITY_FORMAT_ERROR });
    expect(parseQuantity("1Qi")).toEqual({ error: QUANTITY_FORMAT_ERROR });
    expect(parseQuantity("1..2")).toEqual({ error: "unable to parse numeric part of quantity" });
  });

  it("compare in whole units, rounded up", () => {
    expect(wholeUnits(0.5)).toBe(1);
    expect(wholeUnits(1.5)).toBe(2);
    expect(wholeUnits(2)).toBe(2);
  });

  it("print in Kubernetes' canonical form", () => {
    const cases: [string, string][] = [
      ["0.5", "500m"],
      ["1.5", "1500m"],
      ["1000", "1k"],
      ["1500", "1500"],
      ["1024Mi", "1Gi"],
      ["1536Mi", "1536Mi"],
      ["200Mi", "200Mi"],
      ["1e3", "1e3"],
      ["2048", "2048"],
    ];
    for (const [given, canonical] of cases) expect([given, canonicalQuantity(given)]).toEqual([given, canonical]);
  });
});

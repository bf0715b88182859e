import { ScalarType } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { cronError } from "../../src/core/cron.js";
import { parseFieldText } from "../../src/server/gateway/field-text.js";

const doubleField = { fieldKind: "scalar", scalar: ScalarType.DOUBLE } as Parameters<typeof parseFieldText>[0];

// Inputs on which the former backtracking patterns took seconds (quadratic in the length).
describe("parsers of client text stay linear", () => {
  it("reads @every schedules as before", { timeout: 5000 }, () => {
    expect(cronError("@every 1h30m")).toBeUndefined();
    expect(cronError("@every \t 10s")).toBeUndefined();
    expect(cronError("@every 1x")).toBe('failed to parse duration @every 1x: time: invalid duration "1x"');
    expect(cronError("@every 1h\n2m")).toBe("unrecognized descriptor: @every 1h\n2m");
    expect(cronError("@every")).toBe("unrecognized descriptor: @every");
    // Compared, not printed: a failure would print a megabyte.
    const spaces = "@every" + " ".repeat(1_000_000) + "\nx";
    expect(cronError(spaces) === `failed to parse duration ${spaces}: time: invalid duration "x"`).toBe(true);
    const noValue = "@every" + " ".repeat(1_000_000) + "1h\n";
    expect(cronError(noValue) === undefined).toBe(true);
  });

  it("reads REST float parameters as before", { timeout: 5000 }, () => {
    for (const ok of ["1", "1.", ".5", "1.5e3", "-2E-2", "+0.0"]) expect(parseFieldText(doubleField, ok)).toBe(Number(ok));
    for (const bad of [".", "1.2.3", "e5", "1e", "1 "]) expect(() => parseFieldText(doubleField, bad)).toThrow(/invalid syntax/);
    expect(() => parseFieldText(doubleField, "1".repeat(1_000_000) + "x")).toThrow(/invalid syntax/);
  });
});

import { ScalarType } from "@bufbuild/protobuf";
import { describe, expect, it, vi } from "vitest";
import { cronError } from "../../src/core/cron.js";
import { parseToken } from "../../src/core/pagination.js";
import { parseFieldText } from "../../src/server/gateway/field-text.js";

const doubleField = { fieldKind: "scalar", scalar: ScalarType.DOUBLE } as Parameters<typeof parseFieldText>[0];

// Inputs on which the former backtracking patterns took seconds (quadratic in the length).
describe("parsers of client text stay linear", () => {
  it("reads @every schedules as robfig does", { timeout: 5000 }, () => {
    expect(cronError("@every 1h30m")).toBeUndefined();
    expect(cronError("@every 1x")).toBe('failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"');
    expect(cronError("@every 1h\n2m")).toBe('failed to parse duration @every 1h\n2m: time: unknown unit "h\\x0a" in duration "1h\\x0a2m"');
    expect(cronError("@every")).toBe("unrecognized descriptor: @every");
    // Compared, not printed: a failure would print a megabyte.
    const spaces = "@every" + " ".repeat(1_000_000) + "\nx";
    const quoted = `"${" ".repeat(999_999)}\\x0ax"`;
    expect(cronError(spaces) === `failed to parse duration ${spaces}: time: invalid duration ${quoted}`).toBe(true);
    const trimmed = "TZ=UTC @every" + " ".repeat(1_000_000) + "1h\n";
    expect(cronError(trimmed) === "failed to parse duration @every" + " ".repeat(1_000_000) + '1h: time: invalid duration "' + " ".repeat(999_999) + '1h"').toBe(true);
    const fields = "0" + " ".repeat(1_000_000) + "x";
    expect(cronError(fields)).toBe("expected exactly 5 fields, found 2: [0 x]");
  });

  it("reads month and weekday names only, not names every object has", () => {
    expect(cronError("0 0 1 jan-mar mon")).toBeUndefined();
    expect(cronError("0 0 1 constructor *")).toBe('failed to parse int from constructor: strconv.Atoi: parsing "constructor": invalid syntax');
    expect(cronError("0 0 1 * __proto__")).toBe('failed to parse int from __proto__: strconv.Atoi: parsing "__proto__": invalid syntax');
  });

  it("reads REST float parameters as before", { timeout: 5000 }, () => {
    for (const ok of ["1", "1.", ".5", "1.5e3", "-2E-2", "+0.0"]) expect(parseFieldText(doubleField, ok)).toBe(Number(ok));
    for (const bad of [".", "1.2.3", "e5", "1e", "1 "]) expect(() => parseFieldText(doubleField, bad)).toThrow(/invalid syntax/);
    expect(() => parseFieldText(doubleField, "1".repeat(1_000_000) + "x")).toThrow(/invalid syntax/);
  });

  it("reads page tokens as before, without converting more digits than an int64 has", () => {
    // Converting a many-digit string to a BigInt costs more than linear time (4 MiB took a second).
    const bigInt = vi.spyOn(globalThis, "BigInt");
    try {
      expect(parseToken("")).toBe(0);
      expect(parseToken("20")).toBe(20);
      expect(parseToken("+7")).toBe(7);
      expect(parseToken("-0")).toBe(0);
      expect(parseToken("9223372036854775807")).toBe(Number.MAX_SAFE_INTEGER);
      // Go's Atoi reads any number of leading zeros.
      expect(parseToken("0".repeat(1_000_000) + "42")).toBe(42);
      for (const bad of ["x", "1.5", "-1", "9223372036854775808", "9".repeat(1_000_000)]) {
        let message = "";
        try {
          parseToken(bad, "ListTasks");
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message.startsWith("invalid pagination token")).toBe(true);
      }
      expect(bigInt.mock.calls.every(([arg]) => String(arg).length <= 20)).toBe(true);
    } finally {
      bigInt.mockRestore();
    }
  });
});

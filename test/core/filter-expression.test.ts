import { describe, expect, it } from "vitest";
import { splitExpression } from "../../src/core/filter-expression.js";
import { seededRandom } from "../helpers/seeded-random.js";

// FlyteAdmin's pattern, run by a backtracking engine: the oracle for short inputs.
const FLYTEADMIN_PATTERN = /(.+)\((.+),\s?(.+)\)/;

function byRegex(text: string) {
  const m = FLYTEADMIN_PATTERN.exec(text);
  return m ? { fn: m[1], field: m[2], value: m[3] } : undefined;
}

// Characters on which JavaScript's and Go's `.` and `\s` agree (JavaScript's
// `.` also stops at \r, U+2028 and U+2029, and its `\s` takes \v and Unicode spaces).
const ALPHABET = ["a", "(", ")", ",", ";", ".", " ", "+", "\t", "\n", "\f", "e", "q"];

describe("the filter expression splitter", () => {
  it("splits like FlyteAdmin's regular expression on every string of up to 6 characters over ( ) , a space newline", () => {
    const small = ["a", "(", ")", ",", " ", "\n"];
    let strings = [""];
    let checked = 0;
    for (let length = 1; length <= 6; length++) {
      strings = strings.flatMap((s) => small.map((c) => s + c));
      for (const s of strings) {
        expect(splitExpression(s), JSON.stringify(s)).toEqual(byRegex(s));
        checked++;
      }
    }
    expect(checked).toBe(55986);
  });

  it("splits like FlyteAdmin's regular expression on 30,000 random strings of up to 24 characters", () => {
    const next = seededRandom(12);
    for (let i = 0; i < 30_000; i++) {
      const length = 1 + Math.floor(next() * 24);
      let s = "";
      for (let j = 0; j < length; j++) s += ALPHABET[Math.floor(next() * ALPHABET.length)];
      expect(splitExpression(s), JSON.stringify(s)).toEqual(byRegex(s));
    }
  });

  it("splits like the regular expression on the shapes real clients send", () => {
    for (const s of [
      "eq(name,x)",
      "eq(workflow.name,my.wf)",
      "value_in(phase,RUNNING;SUCCEEDED)",
      "eq(name, foo)",
      "eq(name,  foo)",
      "eq(name,foo)trailing",
      "eq(name,a,b)",
      "contains(name,a(b)c)",
      "eq(version,v1) eq(name,my.task)",
      "gte(created_at,2024-01-01T00:00:00.123Z)",
      "eq(name,)",
      "eq(,x)",
    ]) {
      expect(splitExpression(s), s).toEqual(byRegex(s));
    }
  });

  it("follows Go's RE2 where JavaScript's regular expressions differ", () => {
    // Go's `.` matches a carriage return; JavaScript's does not.
    expect(splitExpression("eq(na\rme,x)")).toEqual({ fn: "eq", field: "na\rme", value: "x" });
    // Go's `\s` is [\t\n\f\r ]: a vertical tab or a no-break space is part of the value.
    expect(splitExpression("eq(name,\vx)")).toEqual({ fn: "eq", field: "name", value: "\vx" });
    expect(splitExpression("eq(name,\u00a0x)")).toEqual({ fn: "eq", field: "name", value: "\u00a0x" });
    expect(splitExpression("eq(name,\rx)")).toEqual({ fn: "eq", field: "name", value: "x" });
  });

  // The regular expression takes 32 s on 1,000 bytes of this; minutes on 4 KB.
  it("answers at once on adversarial input of 1 MiB", { timeout: 5000 }, () => {
    expect(splitExpression("(,".repeat(512 * 1024))).toBeUndefined();
    const k = 256 * 1024;
    // Compared by equality, not printed: a failure would print megabytes.
    const nested = splitExpression("a(" + ",(".repeat(k) + "x)");
    expect(nested?.fn === "a(" + ",(".repeat(k - 3) + "," && nested.field === ",(" && nested.value === "(x").toBe(true);
    const commas = splitExpression("f(" + "a,".repeat(k) + "b)");
    expect(commas?.fn === "f" && commas.field === "a,".repeat(k - 1) + "a" && commas.value === "b").toBe(true);
  });
});

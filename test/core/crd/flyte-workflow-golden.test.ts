// Renders each execution of test/fixtures/crd-cases.ts and compares the object
// with the reviewed JSON in test/fixtures/crd/. UPDATE_GOLDEN=1 rewrites the
// files instead (review every diff before committing it).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildFlyteWorkflow } from "../../../src/core/crd/flyte-workflow.js";
import { crdCases } from "../../fixtures/crd-cases.js";

const DIR = join(import.meta.dirname, "../../fixtures/crd");

describe("FlyteWorkflow objects of our own closures", () => {
  it.each(crdCases())("$name", ({ name, launch, options }) => {
    const actual = JSON.parse(JSON.stringify(buildFlyteWorkflow(launch, options)));
    const file = join(DIR, `${name}.json`);
    if (process.env.UPDATE_GOLDEN === "1") {
      writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
      return;
    }
    expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(actual).toEqual(JSON.parse(readFileSync(file, "utf8")));
  });
});

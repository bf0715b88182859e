import { describe, expect, it } from "vitest";
import { generatedName } from "../../../src/engine/local/ids.js";
import {
  checkpointPrefix,
  deckPath,
  errorPath,
  futuresPath,
  inputsPath,
  joinUri,
  nestedNodeDataDir,
  outputDir,
  outputsPath,
  rawOutputPrefix,
  taskTemplatePath,
  topNodeDataDir,
  workflowDir,
} from "../../../src/engine/local/paths.js";

const META = "file:///data/blobs/metadata/propeller";
const M = `${META}/flytesnacks-development-abc123`;

describe("metadata paths (engine-spec §2.7, §3.1)", () => {
  it("builds the worked example's paths", () => {
    const w = workflowDir(META, { project: "flytesnacks", domain: "development", name: "abc123" });
    expect(w).toBe(M);
    const start = topNodeDataDir(w, "start-node");
    expect(outputsPath(outputDir(start, 0))).toBe(`${M}/start-node/data/0/outputs.pb`);
    const n0 = topNodeDataDir(w, "n0");
    expect(n0).toBe(`${M}/n0/data`);
    expect(inputsPath(n0)).toBe(`${M}/n0/data/inputs.pb`);
    expect(outputsPath(outputDir(n0, 0))).toBe(`${M}/n0/data/0/outputs.pb`);
    expect(inputsPath(topNodeDataDir(w, "end-node"))).toBe(`${M}/end-node/data/inputs.pb`);
  });
  it("names the per-attempt files", () => {
    const o = outputDir(`${M}/n0/data`, 2);
    expect(o).toBe(`${M}/n0/data/2`);
    expect(errorPath(o)).toBe(`${o}/error.pb`);
    expect(futuresPath(o)).toBe(`${o}/futures.pb`);
    expect(deckPath(o)).toBe(`${o}/deck.html`);
    expect(taskTemplatePath(`${M}/n0/data`)).toBe(`${M}/n0/data/task.pb`);
  });
  it("nests children under the parent's output dir without /data", () => {
    const parentOut = outputDir(topNodeDataDir(M, "n0"), 0);
    const child = nestedNodeDataDir(parentOut, "n1");
    expect(child).toBe(`${M}/n0/data/0/n1`);
    expect(outputsPath(outputDir(child, 1))).toBe(`${M}/n0/data/0/n1/1/outputs.pb`);
    // a dynamic sub-workflow's start node
    expect(outputDir(nestedNodeDataDir(parentOut, "start-node"), 0)).toBe(`${M}/n0/data/0/start-node/0`);
  });
  it("joins like flytestdlib: one separator, keys trimmed", () => {
    expect(joinUri("s3://bucket/meta", "a")).toBe("s3://bucket/meta/a");
    expect(joinUri("s3://bucket/meta/", "a")).toBe("s3://bucket/meta/a");
    expect(joinUri("s3://bucket/meta", "/a/", "b/")).toBe("s3://bucket/meta/a/b");
    expect(workflowDir("s3://b/metadata/propeller/", { project: "p", domain: "d", name: "n" })).toBe("s3://b/metadata/propeller/p-d-n");
  });
});

describe("raw output paths (engine-spec §1.2, §2.7)", () => {
  it("shards the raw output prefix and puts checkpoints under it", () => {
    const name = generatedName("abc123", "n0", 0);
    const raw = rawOutputPrefix("file:///data/blobs/data", name);
    expect(raw).toBe("file:///data/blobs/data/0l/abc123-n0-0");
    expect(checkpointPrefix(raw)).toBe("file:///data/blobs/data/0l/abc123-n0-0/_flytecheckpoints");
    expect(rawOutputPrefix("s3://bucket/raw/", name)).toBe("s3://bucket/raw/0l/abc123-n0-0");
  });
});

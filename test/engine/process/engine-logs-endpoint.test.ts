// The task-log endpoint: serves <attempt dir>/.engine/task.log, refuses bad or escaping paths, tails with Range.
import { createServer, request, type Server } from "node:http";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineLogsEndpoint, parseRange } from "../../../src/server/engine-logs-endpoint.js";

let root: string;
let runRoot: string;
let server: Server;
let base: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "engine-logs-"));
  runRoot = join(root, "runs");
  const attempt = join(runRoot, "proj", "dev", "exec1", "n0-0-n1", "0");
  await mkdir(join(attempt, ".engine"), { recursive: true });
  await writeFile(join(attempt, ".engine", "task.log"), "line one\nline two\n");
  // A file of that name written by the task in its own folder is not the log.
  await writeFile(join(attempt, "task.log"), "written by the task\n");
  const noLog = join(runRoot, "proj", "dev", "exec1", "n0", "0");
  await mkdir(noLog, { recursive: true }); // no log yet
  await writeFile(join(noLog, "task.log"), "written by the task\n");
  // Outside the run root, reachable only through links.
  await mkdir(join(root, "outside", "x", "0", ".engine"), { recursive: true });
  await writeFile(join(root, "outside", "x", "0", ".engine", "task.log"), "secret\n");
  await writeFile(join(root, "secret.txt"), "secret\n");
  await symlink(join(root, "outside"), join(runRoot, "proj", "dev", "linked"));
  const linkedLog = join(runRoot, "proj", "dev", "exec1", "n9", "0");
  await mkdir(join(linkedLog, ".engine"), { recursive: true });
  await symlink(join(root, "secret.txt"), join(linkedLog, ".engine", "task.log"));
  const linkedControl = join(runRoot, "proj", "dev", "exec1", "n8", "0");
  await mkdir(linkedControl, { recursive: true });
  await symlink(join(root, "outside", "x", "0", ".engine"), join(linkedControl, ".engine"));

  const handle = createEngineLogsEndpoint({ runRoot });
  server = createServer((req, res) => {
    void handle(req, res).then((handled) => {
      if (!handled) {
        res.statusCode = 418;
        res.end("not mine");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

/** A raw request (fetch would normalise `..` away). */
function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("engine logs endpoint", () => {
  it("serves an attempt's task.log as text", async () => {
    const r = await get("/engine/logs/proj/dev/exec1/n0-0-n1/0");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(r.headers["content-length"]).toBe("18");
    expect(r.body).toBe("line one\nline two\n");
  });

  it("answers HEAD with the length and no body", async () => {
    const r = await get("/engine/logs/proj/dev/exec1/n0-0-n1/0", {}, "HEAD");
    expect(r.status).toBe(200);
    expect(r.headers["content-length"]).toBe("18");
    expect(r.body).toBe("");
  });

  it("decodes percent-encoded segments", async () => {
    const r = await get("/engine/logs/proj/dev/exec1/n0%2D0%2Dn1/0");
    expect(r.status).toBe(200);
  });

  it("404 for an attempt without a log (whatever the task wrote in its folder), or none at all", async () => {
    expect((await get("/engine/logs/proj/dev/exec1/n0/0")).status).toBe(404);
    expect((await get("/engine/logs/proj/dev/nope/n0/0")).status).toBe(404);
  });

  it("refuses traversal and malformed paths with 400", async () => {
    for (const p of [
      "/engine/logs/proj/dev/../../../secret.txt",
      "/engine/logs/proj/dev/exec1/..%2F..%2F..%2Foutside/0",
      "/engine/logs/proj/dev/%2e%2e/exec1/0",
      "/engine/logs/proj/dev/exec1/n0-0-n1",
      "/engine/logs/proj/dev/exec1/n0-0-n1/0/extra",
      "/engine/logs/proj/dev/exec1/n0-0-n1/x",
      "/engine/logs/proj/dev/exec1/%zz/0",
      "/engine/logs/proj/dev/exec1/a%00b/0",
      `/engine/logs/proj/dev/exec1/${"a".repeat(300)}/0`,
    ]) {
      expect((await get(p)).status, p).toBe(400);
    }
  });

  it("follows no symbolic links, for folders or the log itself", async () => {
    expect((await get("/engine/logs/proj/dev/linked/x/0")).status).toBe(404);
    const r = await get("/engine/logs/proj/dev/exec1/n9/0");
    expect(r.status).toBe(404);
    expect(r.body).not.toContain("secret");
    const c = await get("/engine/logs/proj/dev/exec1/n8/0");
    expect(c.status).toBe(404);
    expect(c.body).not.toContain("secret");
  });

  it("Range bytes=N- serves the rest of the log for tailing; past the end is 416", async () => {
    const r = await get("/engine/logs/proj/dev/exec1/n0-0-n1/0", { range: "bytes=9-" });
    expect(r.status).toBe(206);
    expect(r.headers["content-range"]).toBe("bytes 9-17/18");
    expect(r.body).toBe("line two\n");
    const end = await get("/engine/logs/proj/dev/exec1/n0-0-n1/0", { range: "bytes=18-" });
    expect(end.status).toBe(416);
    expect(end.headers["content-range"]).toBe("bytes */18");
  });

  it("other methods are 405; other paths are not handled", async () => {
    expect((await get("/engine/logs/proj/dev/exec1/n0-0-n1/0", {}, "POST")).status).toBe(405);
    expect((await get("/engine/other")).status).toBe(418);
  });
});

describe("parseRange", () => {
  it("reads single ranges and clamps them", () => {
    expect(parseRange("bytes=0-", 10)).toEqual([0, 9]);
    expect(parseRange("bytes=2-4", 10)).toEqual([2, 4]);
    expect(parseRange("bytes=2-400", 10)).toEqual([2, 9]);
    expect(parseRange("bytes=-3", 10)).toEqual([7, 9]);
    expect(parseRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable");
  });
  it("ignores what it does not understand (the whole log is served)", () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange("bytes=1-2,4-5", 10)).toBeUndefined();
    expect(parseRange("items=1-2", 10)).toBeUndefined();
    expect(parseRange("bytes=5-2", 10)).toBeUndefined();
    expect(parseRange("bytes=-", 10)).toBeUndefined();
  });
});

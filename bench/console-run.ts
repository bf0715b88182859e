import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { chromium } from "playwright-core";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { buildConsole, routeConsole } from "../test/browser/console-build.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../test/browser/harness.js";
import { registerFanout, runFanout } from "../test/fixtures/console-executions.js";
import { DOMAIN, PROJECT } from "../test/fixtures/flyte-builders.js";
import type { ServerProcess } from "./server-process.js";

export interface ConsoleResults {
  nodes: number;
  runs: number;
  /** From navigation start to the node table holding every node, per run (ms). */
  firstRenderMs: number[];
  /** Frame times while scrolling the whole node list, all runs together. */
  scrollFrameMs: { p50: number; p95: number; max: number; frames: number };
  /** Gzipped sizes (kB) of the execution page's own chunk and of the JavaScript the first load needs. */
  pageChunkKb: number;
  initialJsKb: number;
}

const NODES = 1_000;

/**
 * `--only console`: the execution page in Chromium on a 1,000-node
 * execution (events reported as propeller would), served from a production
 * build; timings are taken inside the page (performance.now), so the
 * browser's start-up is not counted.
 */
export async function measureConsole(o: { start(args: string[]): Promise<ServerProcess>; runs: number; log(s: string): void }): Promise<ConsoleResults> {
  if (!CHROMIUM) throw new Error("no Chromium at /usr/bin/chromium (apt-get install chromium) or CHROMIUM_PATH");
  o.log("building the console...");
  const build = await buildConsole();
  const server = await o.start(["--engine", "none", "--max-workflow-nodes", "2000"]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    o.log(`reporting ${NODES} nodes' events...`);
    await registerFanout(admin, NODES);
    await runFanout(admin, "bench", NODES);
    const firstRenderMs: number[] = [];
    const frames: number[] = [];
    for (let run = 0; run < o.runs; run++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await routeConsole(page, server.url, build.dir);
      await page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/bench`);
      // Polled every animation frame: the time is the first frame that shows the full table.
      const handle = await page.waitForFunction((n) => document.querySelector(`[aria-rowcount="${n + 1}"] .node-scroll [role=row]`) && performance.now(), NODES, { polling: "raf", timeout: 30_000 });
      firstRenderMs.push(Math.round(Number(await handle.jsonValue())));
      frames.push(...(await page.evaluate(scrollFrames)));
      await page.close();
    }
    frames.sort((a, b) => a - b);
    const at = (q: number) => Math.round((frames[Math.min(frames.length - 1, Math.floor(q * frames.length))] ?? 0) * 10) / 10;
    const assets = join(build.dir, "assets");
    const gz = (prefix: string) =>
      readdirSync(assets)
        .filter((f) => f.startsWith(prefix) && f.endsWith(".js"))
        .reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f))).length, 0) / 1024;
    build.remove();
    return {
      nodes: NODES,
      runs: o.runs,
      firstRenderMs,
      scrollFrameMs: { p50: at(0.5), p95: at(0.95), max: at(1), frames: frames.length },
      pageChunkKb: Math.round(gz("execution-page-") * 10) / 10,
      initialJsKb: Math.round(gz("index-") * 10) / 10,
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** Runs in the page: scrolls the node list to its end, 400 px a frame, and returns each frame's duration. */
async function scrollFrames(): Promise<number[]> {
  const el = document.querySelector<HTMLElement>(".node-scroll")!;
  const out: number[] = [];
  let last = performance.now();
  while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
    el.scrollTop += 400;
    await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    const now = performance.now();
    out.push(now - last);
    last = now;
  }
  return out;
}

export function consoleRows(r: ConsoleResults): string[][] {
  const sorted = [...r.firstRenderMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return [
    [`execution page, ${r.nodes} nodes: first render`, "", `${median} ms median of ${r.runs} (${sorted.join(", ")})`, "", "navigation start to the full node table, in Chromium; target ≤ 1,000 ms"],
    [`execution page, ${r.nodes} nodes: scrolling`, "", `frame ${r.scrollFrameMs.p50} / ${r.scrollFrameMs.p95} ms (max ${r.scrollFrameMs.max})`, "", `${r.scrollFrameMs.frames} frames, 400 px each, virtualized list`],
    ["console JavaScript (gzipped)", "", "", "", `execution page chunk ${r.pageChunkKb} kB; first load ${r.initialJsKb} kB (target ≤ 300 kB)`],
  ];
}

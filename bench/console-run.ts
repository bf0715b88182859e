import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { chromium } from "playwright-core";
import { AdminService } from "../gen/flyteidl/service/admin_pb.js";
import { initialJsGzipBytes } from "../test/browser/console-bundle.js";
import { ensureConsoleBuilt } from "../test/browser/console-build.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../test/browser/harness.js";
import { registerFanout, runFanout } from "../test/fixtures/console-executions.js";
import { DOMAIN, PROJECT } from "../test/fixtures/flyte-builders.js";
import type { ServerProcess } from "./server-process.js";

export interface ConsoleResults {
  nodes: number;
  runs: number;
  /** From navigation start to the node table holding every node, per run (ms). */
  firstRenderMs: number[];
  /**
   * The part of it after the last ListNodeExecutions answer arrived (ms): the page's own work, and,
   * as the page's inline script asks for the nodes before the app has started, whatever of the app's start
   * was still left when they came.
   */
  afterDataMs: number[];
  /** The same page for a 10-node execution, in the same runs: the baseline the machine's load shows in. */
  smallFirstRenderMs: number[];
  /** Frame times while scrolling the whole node list, all runs together. */
  scrollFrameMs: { p50: number; p95: number; max: number; frames: number };
  /** Gzipped sizes (kB) of the execution page's own chunk and of the JavaScript the first load needs (what index.html names). */
  pageChunkKb: number;
  initialJsKb: number;
}

const NODES = 1_000;

/**
 * `--only console`: the execution page in Chromium on a 1,000-node
 * execution (events reported as propeller would), the console served by the
 * server from its production build (dist/console); timings are taken inside the page (performance.now), so the
 * browser's start-up is not counted.
 */
export async function measureConsole(o: { start(args: string[]): Promise<ServerProcess>; runs: number; log(s: string): void }): Promise<ConsoleResults> {
  if (!CHROMIUM) throw new Error("no Chromium at /usr/bin/chromium (apt-get install chromium) or CHROMIUM_PATH");
  o.log("checking the console build...");
  const consoleDir = await ensureConsoleBuilt();
  const server = await o.start(["--engine", "none", "--max-workflow-nodes", "2000"]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    o.log(`reporting ${NODES} nodes' events...`);
    await registerFanout(admin, NODES);
    await runFanout(admin, "bench", NODES);
    await runFanout(admin, "bench-small", 10);
    const firstRenderMs: number[] = [];
    const afterDataMs: number[] = [];
    const smallFirstRenderMs: number[] = [];
    const frames: number[] = [];
    const open = async (name: string, nodes: number) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${server.url}/console/projects/${PROJECT}/domains/${DOMAIN}/executions/${name}`);
      // Polled every animation frame: the time is the first frame that shows the full table, and
      // the resource timings say when the node list's last answer arrived.
      const handle = await page.waitForFunction(
        `document.querySelector('[aria-rowcount="${nodes + 1}"] .node-scroll [role=row]') &&
          [performance.now(), Math.max(...performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/ListNodeExecutions")).map((e) => e.responseEnd))]`,
        undefined,
        { polling: "raf", timeout: 60_000 },
      );
      const [rendered, dataAt] = (await handle.jsonValue()) as [number, number];
      return { page, rendered: Math.round(rendered), afterData: Math.round(rendered - dataAt) };
    };
    for (let run = 0; run < o.runs; run++) {
      // Alternated, so load on a shared machine weighs on both alike.
      const small = await open("bench-small", 10);
      smallFirstRenderMs.push(small.rendered);
      await small.page.close();
      const big = await open("bench", NODES);
      firstRenderMs.push(big.rendered);
      afterDataMs.push(big.afterData);
      frames.push(...((await big.page.evaluate(SCROLL_FRAMES)) as number[]));
      o.log(`run ${run + 1}: first render ${big.rendered} ms (${big.afterData} ms after the node list arrived); 10 nodes ${small.rendered} ms`);
      await big.page.close();
    }
    const pageChunkKb = Math.round(gzipped(consoleDir, "execution-page-") * 10) / 10;
    const initialJsKb = Math.round((initialJsGzipBytes().bytes / 1024) * 10) / 10;
    frames.sort((a, b) => a - b);
    const at = (q: number) => Math.round((frames[Math.min(frames.length - 1, Math.floor(q * frames.length))] ?? 0) * 10) / 10;
    return {
      nodes: NODES,
      runs: o.runs,
      firstRenderMs,
      afterDataMs,
      smallFirstRenderMs,
      scrollFrameMs: { p50: at(0.5), p95: at(0.95), max: at(1), frames: frames.length },
      pageChunkKb,
      initialJsKb,
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** Gzipped kB of the build's JavaScript files whose names start with `prefix`. */
function gzipped(dir: string, prefix: string): number {
  const assets = join(dir, "assets");
  return (
    readdirSync(assets)
      .filter((f) => f.startsWith(prefix) && f.endsWith(".js"))
      .reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f))).length, 0) / 1024
  );
}

/**
 * Runs in the page (as text: this file is compiled without the DOM's types): scrolls the node list to
 * its end, 400 px a frame, and returns each frame's duration.
 */
const SCROLL_FRAMES = `(async () => {
  const el = document.querySelector(".node-scroll");
  const out = [];
  let last = performance.now();
  while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
    el.scrollTop += 400;
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    const now = performance.now();
    out.push(now - last);
    last = now;
  }
  return out;
})()`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export function consoleRows(r: ConsoleResults): string[][] {
  const big = median(r.firstRenderMs);
  const small = median(r.smallFirstRenderMs);
  return [
    [
      `execution page, ${r.nodes} nodes: first render`,
      "",
      `${big} ms median of ${r.runs} (${r.firstRenderMs.join(", ")})`,
      "",
      `navigation start to the full node table, in Chromium; ×${Math.round((big / Math.max(1, small)) * 100) / 100} of the 10-node page (${small} ms) in the same runs; target ≤ 1,000 ms`,
    ],
    [`… of which after the node list arrived`, "", `${median(r.afterDataMs)} ms median (${r.afterDataMs.join(", ")})`, "", "the page's own work (tree, rows, first paint) and any of the app's start still left"],
    [`execution page, ${r.nodes} nodes: scrolling`, "", `frame ${r.scrollFrameMs.p50} / ${r.scrollFrameMs.p95} ms (max ${r.scrollFrameMs.max})`, "", `${r.scrollFrameMs.frames} frames, 400 px each, virtualized list`],
    ["console JavaScript (gzipped)", "", "", "", `execution page chunk ${r.pageChunkKb} kB; first load ${r.initialJsKb} kB (target ≤ 300 kB)`],
  ];
}

// A test plugin for map-task elements (task type "element"): each attempt is
// QUEUED, then RUNNING, then ends by its input x: listed in config.fail →
// USER failure; in config.recoverable → recoverable failure on attempt 0; in
// config.hang (or at least config.hang_from) → runs until aborted; otherwise outputs o0 = x + 1, after
// config.sleep_ms. It counts attempts running at once and records what each
// attempt was given.
import { create } from "@bufbuild/protobuf";
import { ExecutionError_ErrorKind as Kind, ExecutionErrorSchema } from "../../../gen/flyteidl/core/execution_pb.js";
import { LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { outputsPath } from "../../../src/engine/local/paths.js";
import type { PhaseInfo, TaskAttempt, TaskPlugin } from "../../../src/engine/local/task-plugin.js";
import { intLiteral } from "./harness.js";

export interface ElementPlugin extends TaskPlugin {
  running: number;
  maxRunning: number;
  /** Each first handle of an attempt: what the engine gave it. */
  launched: { generatedName: string; attempt: number; inputPath: string; array: TaskAttempt["array"]; x: number }[];
  aborted: string[];
}

interface State {
  startedAt: number;
  running?: boolean;
}

const listOf = (a: TaskAttempt, key: string) => (a.template.config[key] ?? "").split(",").filter((s) => s !== "").map(Number);

export function createElementPlugin(): ElementPlugin {
  const live = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const end = (a: TaskAttempt) => {
    clearTimeout(timers.get(a.generatedName));
    timers.delete(a.generatedName);
    if (live.delete(a.generatedName)) plugin.running--;
  };
  const inputOf = async (a: TaskAttempt) => {
    const inputs = await a.blobs!.getMessage(a.blobs!.keyOf(a.paths.inputPath)!, LiteralMapSchema);
    const x = inputs?.literals.x?.value;
    return x?.case === "scalar" && x.value.value.case === "primitive" && x.value.value.value.value.case === "integer" ? Number(x.value.value.value.value.value) : NaN;
  };
  const plugin: ElementPlugin = {
    id: "element-plugin",
    taskTypes: ["element"],
    running: 0,
    maxRunning: 0,
    launched: [],
    aborted: [],
    async handle(a): Promise<PhaseInfo> {
      const state = a.state as State | undefined;
      if (!state) {
        plugin.launched.push({ generatedName: a.generatedName, attempt: a.attempt, inputPath: a.paths.inputPath, array: a.array, x: await inputOf(a) });
        a.setState({ startedAt: Date.now() } satisfies State);
        a.wake();
        return { phase: "Queued", version: 0, reason: "task submitted to element plugin" };
      }
      if (!state.running) {
        a.setState({ ...state, running: true } satisfies State);
        live.add(a.generatedName);
        plugin.running++;
        plugin.maxRunning = Math.max(plugin.maxRunning, plugin.running);
        a.wake();
        return { phase: "Running", version: 0, logs: [{ name: "Element log", uri: `http://logs/${a.generatedName}` } as never] };
      }
      const x = await inputOf(a);
      const hangFrom = a.template.config["hang_from"];
      if (listOf(a, "hang").includes(x) || (hangFrom !== undefined && x >= Number(hangFrom))) return { phase: "Running", version: 0 };
      const left = state.startedAt + Number(a.template.config["sleep_ms"] ?? 0) - Date.now();
      if (left > 0) {
        if (!timers.has(a.generatedName)) timers.set(a.generatedName, setTimeout(() => (timers.delete(a.generatedName), a.wake()), left).unref());
        return { phase: "Running", version: 0 };
      }
      end(a);
      if (listOf(a, "fail").includes(x)) {
        return { phase: "PermanentFailure", version: 0, error: create(ExecutionErrorSchema, { kind: Kind.USER, code: "USER:RuntimeError", message: `${x} is bad` }) };
      }
      if (listOf(a, "recoverable").includes(x) && a.attempt === 0) {
        return { phase: "RetryableFailure", version: 0, error: create(ExecutionErrorSchema, { kind: Kind.USER, code: "USER:Recoverable", message: `${x} once more` }) };
      }
      await a.blobs!.putMessage(a.blobs!.keyOf(outputsPath(a.paths.outputPrefix))!, LiteralMapSchema, create(LiteralMapSchema, { literals: { o0: intLiteral(x + 1) } }));
      return { phase: "Success", version: 0 };
    },
    async abort(a) {
      plugin.aborted.push(a.generatedName);
      end(a);
    },
    async finalize(a) {
      end(a);
    },
  };
  return plugin;
}

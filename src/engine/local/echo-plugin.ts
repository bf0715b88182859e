import { create } from "@bufbuild/protobuf";
import { ExecutionError_ErrorKind as ErrorKind, ExecutionErrorSchema } from "../../../gen/flyteidl/core/execution_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { futuresPath, outputsPath } from "./paths.js";
import type { PhaseInfo, TaskAttempt, TaskPlugin } from "./task-plugin.js";

interface EchoState {
  /** When the attempt was first handled (ms since the epoch). */
  startedAt: number;
  running?: boolean;
}

const MAX_SLEEP_MS = 24 * 3600 * 1000;

/**
 * Task type "echo" (flytepropeller's test plugin): copies the inputs to the
 * outputs. It reports QUEUED, then RUNNING, then SUCCEEDED on consecutive
 * rounds like a real plugin, the success after `template.config["sleep_ms"]`
 * milliseconds when that is set. Inputs map to outputs of the same name, or
 * else in sorted order of their names. With `template.config["futures"]` (a
 * DynamicJobSpec, binary protobuf in base64) it writes that as its futures
 * file instead, like a dynamic task yielding its children.
 */
export function createEchoPlugin(): TaskPlugin & { close(): void } {
  const timers = new Map<string, NodeJS.Timeout>();
  const sleepMs = (attempt: TaskAttempt) => {
    const v = Number(attempt.template.config["sleep_ms"] ?? 0);
    return Number.isFinite(v) && v > 0 ? Math.min(v, MAX_SLEEP_MS) : 0;
  };
  const clear = (name: string) => {
    clearTimeout(timers.get(name));
    timers.delete(name);
  };
  return {
    id: "echo",
    taskTypes: ["echo"],
    async handle(attempt): Promise<PhaseInfo> {
      const state = attempt.state as EchoState | undefined;
      if (!state) {
        attempt.setState({ startedAt: Date.now() } satisfies EchoState);
        attempt.wake();
        return { phase: "Queued", version: 0, reason: "task submitted to echo plugin" };
      }
      const left = state.startedAt + sleepMs(attempt) - Date.now();
      if (!state.running || left > 0) {
        if (!state.running) attempt.setState({ ...state, running: true } satisfies EchoState);
        if (left > 0 && !timers.has(attempt.generatedName)) {
          timers.set(
            attempt.generatedName,
            setTimeout(() => (timers.delete(attempt.generatedName), attempt.wake()), left).unref(),
          );
        } else if (left <= 0) {
          attempt.wake();
        }
        return { phase: "Running", version: 0 };
      }
      return copyInputs(attempt);
    },
    async abort(attempt) {
      clear(attempt.generatedName);
    },
    async finalize(attempt) {
      clear(attempt.generatedName);
    },
    /** Drops pending sleeps (the engine stopped); a restarted engine handles the attempts again. */
    close() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}

async function copyInputs(attempt: TaskAttempt): Promise<PhaseInfo> {
  const blobs = attempt.blobs;
  if (!blobs) throw new Error("the echo plugin needs the attempt's blob store");
  const key = (uri: string) => {
    const k = blobs.keyOf(uri);
    if (!k) throw new Error(`${uri} is not in the blob store`);
    return k;
  };
  const futures = attempt.template.config["futures"];
  if (futures !== undefined) {
    // The engine reads it as it reads any task's futures file (an undecodable one fails the node).
    await blobs.put(key(futuresPath(attempt.paths.outputPrefix)), Buffer.from(futures, "base64"));
    return { phase: "Success", version: 0 };
  }
  const inputs = (await blobs.getMessage(key(attempt.paths.inputPath), LiteralMapSchema)) ?? create(LiteralMapSchema);
  const inNames = Object.keys(attempt.template.interface?.inputs?.variables ?? {}).sort();
  const outNames = Object.keys(attempt.template.interface?.outputs?.variables ?? {}).sort();
  if (inNames.length !== outNames.length) {
    return failure(`the number of input [${inNames.length}] and output [${outNames.length}] variables does not match`);
  }
  const sameNames = inNames.every((n, i) => n === outNames[i]);
  const literals: Record<string, Literal> = {};
  for (const [i, name] of inNames.entries()) {
    const value = inputs.literals[name];
    if (!value) return failure(`input [${name}] is missing`);
    literals[sameNames ? name : outNames[i]!] = value;
  }
  const outputs: LiteralMap = create(LiteralMapSchema, { literals });
  await blobs.putMessage(key(outputsPath(attempt.paths.outputPrefix)), LiteralMapSchema, outputs);
  return { phase: "Success", version: 0 };
}

const failure = (message: string): PhaseInfo => ({
  phase: "PermanentFailure",
  version: 0,
  error: create(ExecutionErrorSchema, { code: "EchoMismatch", message, kind: ErrorKind.USER }),
});

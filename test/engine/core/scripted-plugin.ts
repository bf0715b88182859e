// A test plugin whose attempts follow a script in the task template:
// config.script = "recoverable,recoverable,success:50" — one step per attempt,
// the last repeating ("throw" fails every handle once running, "throwfirst" the first handle once;
// "futures" writes config.futures, a base64 DynamicJobSpec, as the attempt's futures.pb, "recurse" a futures.pb
// calling the task itself again). It counts how many attempts run at once.
import { create } from "@bufbuild/protobuf";
import { DynamicJobSpecSchema } from "../../../gen/flyteidl/core/dynamic_job_pb.js";
import { ExecutionError_ErrorKind as Kind, ExecutionErrorSchema } from "../../../gen/flyteidl/core/execution_pb.js";
import { type Literal, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { futuresPath, outputsPath } from "../../../src/engine/local/paths.js";
import type { PhaseInfo, TaskAttempt, TaskPlugin } from "../../../src/engine/local/task-plugin.js";

export interface ScriptedPlugin extends TaskPlugin {
  /** Attempts between their first RUNNING and their end, now and at most. */
  running: number;
  maxRunning: number;
  /** Generated names, in the order things happened to them. */
  started: string[];
  aborted: string[];
  finalized: string[];
  /** Generated names, once per first handle (no state yet): an attempt launched twice is here twice. */
  launched: string[];
  /** Attempts whose first handle threw already (for "throwonce" and "throwfirst"). */
  thrown: Set<string>;
}

interface State {
  startedAt: number;
  running?: boolean;
  done?: boolean;
}

const err = (kind: Kind, code: string, message: string) => create(ExecutionErrorSchema, { kind, code, message });

export function createScriptedPlugin(type = "scripted"): ScriptedPlugin {
  const live = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const plugin: ScriptedPlugin = {
    id: `${type}-plugin`,
    taskTypes: [type],
    running: 0,
    maxRunning: 0,
    started: [],
    aborted: [],
    finalized: [],
    thrown: new Set(),
    launched: [],
    async handle(a) {
      const steps = (a.template.config["script"] ?? "success").split(",");
      const [action = "success", arg] = (steps[Math.min(a.attempt, steps.length - 1)] ?? "success").split(":");
      const state = a.state as State | undefined;
      if (!state && action === "throwfirst" && !plugin.thrown.has(a.generatedName)) {
        plugin.thrown.add(a.generatedName);
        throw new Error("the plugin broke before launching");
      }
      if (!state) {
        plugin.launched.push(a.generatedName);
        a.setState({ startedAt: Date.now() } satisfies State);
        a.wake();
        return { phase: "Queued", version: 0, reason: "task submitted to scripted plugin" };
      }
      if (action === "throwonce" && !plugin.thrown.has(a.generatedName)) {
        plugin.thrown.add(a.generatedName);
        throw new Error("the plugin broke");
      }
      if (!state.running) {
        a.setState({ ...state, running: true });
        live.add(a.generatedName);
        plugin.started.push(a.generatedName);
        plugin.running++;
        plugin.maxRunning = Math.max(plugin.maxRunning, plugin.running);
        a.wake();
        return { phase: "Running", version: 0, logs: [] };
      }
      if (action === "throw") throw new Error("the plugin is broken");
      if (action === "hang") return { phase: "Running", version: 0 };
      const ms = Number(arg ?? 0);
      const left = state.startedAt + ms - Date.now();
      if (left > 0) {
        if (!timers.has(a.generatedName)) timers.set(a.generatedName, setTimeout(() => (timers.delete(a.generatedName), a.wake()), left).unref());
        return { phase: "Running", version: 0 };
      }
      end(a);
      return finish(a, action);
    },
    async abort(a) {
      plugin.aborted.push(a.generatedName);
      end(a);
    },
    async finalize(a) {
      plugin.finalized.push(a.generatedName);
      end(a);
    },
  };
  const end = (a: TaskAttempt) => {
    clearTimeout(timers.get(a.generatedName));
    timers.delete(a.generatedName);
    if (live.delete(a.generatedName)) plugin.running--;
  };
  return plugin;
}

async function finish(a: TaskAttempt, action: string): Promise<PhaseInfo> {
  const blobs = a.blobs!;
  const key = (uri: string) => blobs.keyOf(uri)!;
  const declared = Object.entries(a.template.interface?.outputs?.variables ?? {});
  const inputs = (await blobs.getMessage(key(a.paths.inputPath), LiteralMapSchema)) ?? create(LiteralMapSchema);
  const first = Object.values(inputs.literals)[0] ?? intLiteral(0);
  const write = (value: (name: string) => Literal) =>
    blobs.putMessage(key(outputsPath(a.paths.outputPrefix)), LiteralMapSchema, create(LiteralMapSchema, { literals: Object.fromEntries(declared.map(([n]) => [n, value(n)])) }));
  switch (action) {
    case "user":
      return { phase: "PermanentFailure", version: 0, error: err(Kind.USER, "USER:RuntimeError", `boom in attempt ${a.attempt}`) };
    case "huge":
      return { phase: "PermanentFailure", version: 0, error: err(Kind.USER, "USER:Huge", "x".repeat(300_000)) };
    case "recoverable":
      return { phase: "RetryableFailure", version: 0, error: err(Kind.USER, "USER:Recoverable", `try again (attempt ${a.attempt})`) };
    case "system":
      return { phase: "RetryableFailure", version: 0, error: err(Kind.SYSTEM, "LocalProcessLost", `lost attempt ${a.attempt}`) };
    case "nooutputs":
      return { phase: "Success", version: 0 };
    case "badoutputs":
      await write(() => create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "stringValue", value: "nope" } } } } } }));
      return { phase: "Success", version: 0 };
    case "recurse": {
      // A dynamic task yielding itself once more: dn0 = this task on x, the output dn0's.
      const self = a.template;
      const spec = create(DynamicJobSpecSchema, {
        nodes: [{ id: "dn0", metadata: { name: self.id?.name ?? "" }, inputs: [{ var: "x", binding: { value: { case: "scalar", value: first.value.value as never } } }], target: { case: "taskNode", value: { reference: { case: "referenceId", value: self.id! } } } }],
        outputs: declared.map(([n]) => ({ var: n, binding: { value: { case: "promise" as const, value: { nodeId: "dn0", var: n } } } })),
        tasks: [self],
      });
      await blobs.putMessage(key(futuresPath(a.paths.outputPrefix)), DynamicJobSpecSchema, spec);
      return { phase: "Success", version: 0 };
    }
    case "futures": {
      // config.futures: a DynamicJobSpec in base64 (an empty one without).
      const spec = a.template.config["futures"];
      if (spec) await blobs.put(key(futuresPath(a.paths.outputPrefix)), Buffer.from(spec, "base64"));
      else await blobs.putMessage(key(futuresPath(a.paths.outputPrefix)), DynamicJobSpecSchema, create(DynamicJobSpecSchema));
      return { phase: "Success", version: 0 };
    }
    default:
      await write(() => first);
      return { phase: "Success", version: 0 };
  }
}

export const intLiteral = (n: number): Literal =>
  create(LiteralSchema, { value: { case: "scalar", value: { value: { case: "primitive", value: { value: { case: "integer", value: BigInt(n) } } } } } });

import { create } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { Signal } from "../../../gen/flyteidl/admin/signal_pb.js";
import { SignalIdentifierSchema } from "../../../gen/flyteidl/core/identifier_pb.js";
import { type Literal, type LiteralMap, LiteralMapSchema, LiteralSchema } from "../../../gen/flyteidl/core/literals_pb.js";
import { type LiteralType, LiteralTypeSchema, SimpleType } from "../../../gen/flyteidl/core/types_pb.js";
import { literalTypeToStr, protoText } from "../../core/compiler/index.js";
import { AdminError } from "../../core/errors.js";
import { durationNanos } from "../../core/go-duration.js";
import { requireSignalKey, type SignalKey } from "../../core/signals.js";
import { readMessage, writeMessage } from "./blob-uris.js";
import { ErrorKind, executionError } from "./execution-error.js";
import { outputsPath } from "./paths.js";
import { type HandlerResult, type NodeContext, type NodeHandler, requestWake, result } from "./round-context.js";

/**
 * Default for how long a waiting signal or approve gate goes without a look
 * when nothing woke it: SetSignal wakes the execution at once in this process,
 * the poll catches a value set through another replica or a notification lost
 * to a restart (engine-spec §5.2 [LOCAL]; propeller re-evaluates every 10 s).
 */
export const SIGNAL_POLL_MS = 2_000;

/** The part of the signal store a gate uses: FlyteAdmin's GetOrCreateSignal. */
export interface GateSignals {
  getOrCreate(key: SignalKey, type: LiteralType): Promise<Signal>;
}

export const REJECT_CODE = "ReceivedRejectSignal";
export const REJECT_MESSAGE = "received a reject signal to disapprove the node input values";

const BOOLEAN_TYPE = create(LiteralTypeSchema, { type: { case: "simple", value: SimpleType.BOOLEAN } });

/** What an approve signal's value means (propeller's getBoolean): only a boolean primitive decides. */
export function approval(value: Literal): boolean | undefined {
  if (value.value.case !== "scalar") return undefined;
  const scalar = value.value.value.value;
  if (scalar.case !== "primitive") return undefined;
  const p = scalar.value.value;
  return p.case === "boolean" ? p.value : undefined;
}

/** A sleep's length in whole milliseconds, rounded up so a wake at `since + length` is never early. */
export function sleepMs(duration: Duration | undefined): number {
  if (!duration) return 0;
  const ns = durationNanos(duration);
  return ns <= 0n ? 0 : Number((ns + 999_999n) / 1_000_000n);
}

/** The signal's value once one was set (an empty Literal counts as none, as in propeller). */
const valueOf = (s: Signal): Literal | undefined => (s.value && s.value.value.case !== undefined ? s.value : undefined);

/**
 * Gate nodes (engine-spec §2.4.7, §5.2, propeller's gate handler): every step
 * while the node waits, a signal or approve gate gets-or-creates its signal
 * (id = execution id + signal id) in the control plane's signal store and
 * moves on once a value is set; a sleep gate ends once its duration has passed
 * since its first step. Nothing runs outside, so there is nothing to abort.
 */
export function createGateHandler(): NodeHandler {
  const signalValue = async (n: NodeContext, signalId: string, type: LiteralType): Promise<Literal | undefined> => {
    const key = requireSignalKey(create(SignalIdentifierSchema, { executionId: n.round.def.executionId, signalId }));
    return valueOf(await n.round.services.signals.getOrCreate(key, type));
  };

  const waiting = (n: NodeContext): HandlerResult => {
    requestWake(n.round, n.round.now().getTime() + n.round.services.signalPollMs);
    return result("Running", n.round.now());
  };

  const succeedWith = async (n: NodeContext, outputs: LiteralMap): Promise<HandlerResult> => {
    const uri = outputsPath(n.outputDir);
    await writeMessage(n.round.services.blobs, uri, LiteralMapSchema, outputs);
    return result("Success", n.round.now(), "", undefined, { outputUri: uri });
  };

  const handle = async (n: NodeContext): Promise<HandlerResult> => {
    const ctx = n.round;
    const target = n.node.target;
    const condition = target.case === "gateNode" ? target.value.condition : undefined;
    // The gate's clock starts at its first step (propeller's GateNodeState.StartedAt).
    const state = (n.status.gate ??= {});
    state.since ??= ctx.now().toISOString();
    switch (condition?.case) {
      case "signal": {
        const { signalId, type, outputVariableName } = condition.value;
        if (!type) return badSpecification(n, `gate node [${n.specId}] waits for signal [${signalId}] without a type`);
        const value = await signalValue(n, signalId, type);
        if (!value) return waiting(n);
        return succeedWith(n, create(LiteralMapSchema, { literals: { [outputVariableName]: value } }));
      }
      case "approve": {
        const value = await signalValue(n, condition.value.signalId, BOOLEAN_TYPE);
        if (!value) return waiting(n);
        const approved = approval(value);
        if (approved === undefined) {
          const message = `received a non-boolean approve signal value [${protoText(LiteralSchema, value)}]`;
          return result("Failure", ctx.now(), "", executionError(ErrorKind.UNKNOWN, "RuntimeExecutionError", message));
        }
        if (!approved) return result("Failure", ctx.now(), "", executionError(ErrorKind.USER, REJECT_CODE, REJECT_MESSAGE));
        // Approved: the values the gate held back flow on unchanged.
        const inputs = (await readMessage(ctx.services.blobs, n.inputsUri, LiteralMapSchema)) ?? create(LiteralMapSchema);
        return succeedWith(n, inputs);
      }
      case "sleep": {
        const until = Date.parse(state.since) + sleepMs(condition.value.duration);
        if (ctx.now().getTime() >= until) return result("Success", ctx.now());
        requestWake(ctx, until);
        return result("Running", ctx.now());
      }
      default:
        return result("Failure", ctx.now(), "", executionError(ErrorKind.UNKNOWN, "BadSpecificationError", "gate node is missing condition kind"));
    }
  };

  return {
    finalizeRequired: false,
    async handle(n) {
      try {
        return await handle(n);
      } catch (e) {
        if (!(e instanceof AdminError) || (e.kind !== "AlreadyExists" && e.kind !== "InvalidArgument")) throw e;
        // [LOCAL] The signal store refused the gate's signal for good (the id is taken by a signal of
        // another type, or it is not a valid id): propeller would retry its round until the workflow
        // gave up; failing the node says why at once. Storage outages still throw and retry the round.
        const target = n.node.target;
        const cond = target.case === "gateNode" ? target.value.condition : undefined;
        const signalId = cond?.case === "signal" || cond?.case === "approve" ? cond.value.signalId : "";
        const type = cond?.case === "signal" ? cond.value.type : BOOLEAN_TYPE;
        const message = `gate node [${n.specId}] cannot wait for signal [${signalId}] of type [${literalTypeToStr(type)}]: ${e.message}`;
        return result("Failure", n.round.now(), "", executionError(ErrorKind.USER, "SignalUnavailable", message));
      }
    },
    abort: async () => {},
    finalize: async () => {},
  };
}

const badSpecification = (n: NodeContext, message: string) =>
  result("Failure", n.round.now(), "", executionError(ErrorKind.UNKNOWN, "BadSpecificationError", message));

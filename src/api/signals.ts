import { create, toBinary } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { LiteralSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { LiteralTypeSchema } from "../../gen/flyteidl/core/types_pb.js";
import type { SignalService } from "../../gen/flyteidl/service/signal_pb.js";
import { isCastable, literalTypeOf, protoText } from "../core/compiler/index.js";
import { invalidArgument, missingField } from "../core/errors.js";
import { parseListRequest } from "../core/list-query.js";
import { nextToken } from "../core/pagination.js";
import {
  goBytesText,
  requireListExecution,
  requireSignalKey,
  SIGNAL_COLUMNS,
  type SignalKey,
  signalKeyText,
  UNKNOWN_VALUE_TYPE_MESSAGE,
} from "../core/signals.js";
import type { SignalStore } from "../storage/signal-store.js";

/**
 * flyteidl.service.SignalService as FlyteAdmin v1.16.8's SignalManager:
 * gate nodes get-or-create a typed signal and poll it; users (or flytectl)
 * set its value. The execution named in a signal id is never checked.
 */
export function signalService({
  signals,
  maxPageSize,
  onSet,
}: {
  signals: SignalStore;
  maxPageSize?: number;
  /** Told after a value is stored, so an embedded engine wakes the gate waiting on it. */
  onSet?: (key: SignalKey) => void;
}): ServiceImpl<typeof SignalService> {
  return {
    async getOrCreateSignal(req) {
      const key = requireSignalKey(req.id);
      if (!req.type) throw missingField("type");
      return signals.getOrCreate(key, req.type);
    },

    async listSignals(req) {
      const execution = requireListExecution(req.workflowExecutionId);
      const query = parseListRequest(req, { scope: [SIGNAL_COLUMNS], op: "ListSignals", maxPageSize });
      const list = await signals.list(execution, query);
      // parseListRequest always yields a limit here (only ListProjects allows "all").
      return { signals: list, token: nextToken(query.offset, list.length, query.limit ?? list.length) };
    },

    async setSignal(req) {
      const key = requireSignalKey(req.id);
      const value = req.value;
      if (!value) throw missingField("value");
      const stored = await signals.get(key);
      // FlyteAdmin wraps the repository's NotFound in INVALID_ARGUMENT, printing
      // the Go SignalKey struct and the error's text.
      if (!stored) throw invalidArgument(`failed to validate that signal [${signalKeyText(key)}] exists, err: [signal does not exist]`);
      const valueType = literalTypeOf(value);
      if (!valueType) throw invalidArgument(UNKNOWN_VALUE_TYPE_MESSAGE);
      // Only a signal created with an empty LiteralType lacks one; nothing casts to that.
      const storedType = stored.type ?? create(LiteralTypeSchema);
      // Deliberately (stored type → value type), the reverse of how inputs are
      // checked against parameters: FlyteAdmin calls AreTypesCastable(signal type, value type).
      if (!isCastable(storedType, valueType)) {
        // The stored type prints as Go's %v of the raw column bytes; re-encoding
        // reproduces them because this server wrote them with the same encoder.
        throw invalidArgument(
          `requested signal value [${protoText(LiteralSchema, value)}] is not castable to existing signal type [${goBytesText(toBinary(LiteralTypeSchema, storedType))}]`,
        );
      }
      await signals.setValue(key, value);
      try {
        onSet?.(key);
      } catch {
        // The value is stored: a gate waiting on it finds it at its next poll whatever happened here.
      }
      return {};
    },
  };
}

import type { Signal } from "../../gen/flyteidl/admin/signal_pb.js";
import type { Literal } from "../../gen/flyteidl/core/literals_pb.js";
import type { LiteralType } from "../../gen/flyteidl/core/types_pb.js";
import type { ListQuery } from "../core/list-query.js";
import type { SignalExecutionKey, SignalKey } from "../core/signals.js";

/**
 * Gate-node signals, keyed by (execution project/domain/name, signal id).
 * Signals come back as admin.Signal messages (id, type, value once set);
 * failures are AdminErrors with FlyteAdmin's messages. The execution itself
 * is never looked up: signals may exist before (or without) it; but those of
 * an execution being deleted are gone for readers, and new ones are refused
 * (NotFound) until the deletion ends.
 */
export interface SignalStore {
  /**
   * The stored signal for this key and exactly this type (compared as
   * serialized bytes, as FlyteAdmin's FirstOrCreate does), including its value
   * if one was set; inserted without a value when the key is free. Safe under
   * concurrent callers: all of them get the one row. The key holding another
   * type is AlreadyExists with FlyteAdmin's duplicate-key message.
   */
  getOrCreate(key: SignalKey, type: LiteralType): Promise<Signal>;
  get(key: SignalKey): Promise<Signal | undefined>;
  /** One execution's signals, filtered, sorted (default: newest first) and paged by `query`. */
  list(execution: SignalExecutionKey, query: ListQuery): Promise<Signal[]>;
  /** Sets or overwrites the value; NotFound `signal does not exist` when there is no such signal. */
  setValue(key: SignalKey, value: Literal): Promise<void>;
}

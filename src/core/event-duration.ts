import { type Duration, durationFromMs, type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

/**
 * How long a workflow, node or task ran when an event ends it: from its
 * recorded start to the event. Undefined when it never started (FlyteAdmin
 * then records no duration). `ns` is what the duration columns hold.
 */
export function durationUntil(startedAt: Timestamp | undefined, endedAt: Date): { duration: Duration; ns: number } | undefined {
  if (!startedAt) return undefined;
  const ms = endedAt.getTime() - timestampDate(startedAt).getTime();
  return { duration: durationFromMs(ms), ns: ms * 1e6 };
}

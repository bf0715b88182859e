import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type GetOrExtendReservationRequest,
  type ReleaseReservationRequest,
  type Reservation,
  ReservationSchema,
} from "../../gen/flyteidl/datacatalog/datacatalog_pb.js";
import { dcInvalid } from "../core/datacatalog/dc-errors.js";
import { requireReservation } from "../core/datacatalog/dc-validation.js";
import { durationNanos, isValidDuration } from "../core/go-duration.js";
import { type DataCatalogDeps, MAX_RESERVATION_HEARTBEAT_MS, nowOf, RESERVATION_GRACE_HEARTBEATS } from "./datacatalog-deps.js";

/**
 * GetOrExtendReservation (datacatalog's reservationManager): the owner gets
 * the reservation of a dataset key and tag when nobody holds it, or it
 * expired, or it holds it already (then it is extended); otherwise the
 * holder's reservation is answered. It lasts the heartbeat (the one asked
 * for, at most 10 s) times three. The answer's heartbeat is the caller's.
 */
export async function getOrExtendReservation(deps: DataCatalogDeps, req: Pick<GetOrExtendReservationRequest, "reservationId" | "ownerId" | "heartbeatInterval">): Promise<Reservation> {
  const { dataset, tagName, ownerId } = requireReservation(req.reservationId, req.ownerId);
  const heartbeat = heartbeatOf(req.heartbeatInterval);
  const now = nowOf(deps);
  const expiresAt = new Date(now.getTime() + heartbeat.ms * RESERVATION_GRACE_HEARTBEATS);
  const held = await deps.store.getOrExtendReservation({ ...dataset, tagName }, ownerId, expiresAt, now);
  return create(ReservationSchema, {
    reservationId: { datasetId: { project: held.project, name: held.name, domain: held.domain, version: held.version }, tagName: held.tagName },
    ownerId: held.ownerId,
    heartbeatInterval: heartbeat.duration,
    expiresAt: timestampFromDate(held.expiresAt),
  });
}

/** ReleaseReservation: drops the owner's reservation; true when it held one (releasing none is no error). */
export async function releaseReservation(deps: DataCatalogDeps, req: Pick<ReleaseReservationRequest, "reservationId" | "ownerId">): Promise<boolean> {
  const { dataset, tagName, ownerId } = requireReservation(req.reservationId, req.ownerId);
  return deps.store.releaseReservation({ ...dataset, tagName }, ownerId);
}

const MAX_DURATION: Duration = create(DurationSchema, { seconds: BigInt(MAX_RESERVATION_HEARTBEAT_MS / 1000) });

/**
 * The heartbeat a reservation is measured by: the one asked for when it is
 * below the maximum, else the maximum. datacatalog takes a negative one too
 * (a reservation expired from the start); that is refused here.
 */
function heartbeatOf(asked: Duration | undefined): { ms: number; duration: Duration } {
  if (!asked) return { ms: MAX_RESERVATION_HEARTBEAT_MS, duration: MAX_DURATION };
  if (!isValidDuration(asked) || durationNanos(asked) < 0n) {
    throw dcInvalid("heartbeatInterval", `${asked.seconds}s ${asked.nanos}ns`);
  }
  const nanos = durationNanos(asked);
  if (nanos >= BigInt(MAX_RESERVATION_HEARTBEAT_MS) * 1_000_000n) return { ms: MAX_RESERVATION_HEARTBEAT_MS, duration: MAX_DURATION };
  return { ms: Number(nanos / 1_000_000n), duration: asked };
}

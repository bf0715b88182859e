import { type DescMessage, type JsonObject, type JsonValue, type MessageShape, type Registry, toBinary, toJson } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";

/** How a response is written: binary protobuf, JSON with proto names (every field), or grpc-gateway's default lowerCamel JSON. */
export type Encoding = "proto" | "json-proto-names" | "json-camel";

/**
 * grpc-gateway's choice as FlyteAdmin configures it: an Accept header that is
 * exactly `application/octet-stream` or `application/json` wins; otherwise
 * the request's own content type decides; otherwise lowerCamel JSON.
 */
export function encodingFor(accept: string | undefined, contentType: string): Encoding {
  const pick = (type: string | undefined): Encoding | undefined =>
    type === "application/octet-stream" ? "proto" : type === "application/json" ? "json-proto-names" : undefined;
  return pick(accept?.trim()) ?? pick(contentType) ?? "json-camel";
}

export function encodeMessage<D extends DescMessage>(schema: D, message: MessageShape<D>, encoding: Encoding): { type: string; body: Buffer | string } {
  if (encoding === "proto") return { type: "application/octet-stream", body: Buffer.from(toBinary(schema, message)) };
  const protoNames = encoding === "json-proto-names";
  const json = toJson(schema, message, { useProtoFieldName: protoNames, alwaysEmitImplicit: true });
  return { type: "application/json", body: JSON.stringify(withNulls(schema, json, protoNames)) };
}

/**
 * protojson with EmitUnpopulated writes an unset message field as `null`;
 * protobuf-es leaves it out. Adds those nulls (oneof members stay out, as in
 * protojson), recursing into set messages and lists of messages.
 */
function withNulls(schema: DescMessage, json: JsonValue, protoNames: boolean): JsonValue {
  if (!json || typeof json !== "object" || Array.isArray(json) || isWellKnown(schema)) return json;
  const out = json as JsonObject;
  for (const field of schema.fields) {
    if (field.oneof) continue;
    const key = protoNames ? field.name : field.jsonName;
    if (field.fieldKind === "message") {
      out[key] = key in out ? withNulls(field.message, out[key]!, protoNames) : null;
    } else if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(out[key])) {
      out[key] = (out[key] as JsonValue[]).map((item) => withNulls(field.message, item, protoNames));
    }
  }
  return out;
}

// Well-known types have their own JSON forms (a timestamp is a string).
const isWellKnown = (schema: DescMessage) => schema.typeName.startsWith("google.protobuf.");

/** grpc-gateway's HTTP status for each gRPC code (runtime.HTTPStatusFromCode). */
export const HTTP_STATUS: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/**
 * The error body: a google.rpc.Status in the response encoding. Details are
 * Any messages; in JSON they are expanded when their type is known.
 */
export function encodeError(err: ConnectError, encoding: Encoding, registry: Registry): { status: number; type: string; body: Buffer | string } {
  const status = HTTP_STATUS[err.code] ?? 500;
  if (encoding === "proto") {
    const w = new BinaryWriter();
    w.uint32(8).int32(err.code);
    w.uint32(18).string(err.rawMessage);
    for (const d of err.details) {
      const type = "desc" in d ? d.desc.typeName : d.type;
      const value = "desc" in d ? toBinary(d.desc, d.value as never) : d.value;
      const any = new BinaryWriter().uint32(10).string(`type.googleapis.com/${type}`).uint32(18).bytes(value).finish();
      w.uint32(26).bytes(any);
    }
    return { status, type: "application/octet-stream", body: Buffer.from(w.finish()) };
  }
  const details = err.details.map((d) => {
    const type = "desc" in d ? d.desc.typeName : d.type;
    const desc = "desc" in d ? d.desc : registry.getMessage(type);
    const decoded = desc ? (err.findDetails(desc)[0] as MessageShape<DescMessage> | undefined) : undefined;
    const body = desc && decoded ? (toJson(desc, decoded, { useProtoFieldName: encoding === "json-proto-names" }) as object) : {};
    return { "@type": `type.googleapis.com/${type}`, ...body };
  });
  return { status, type: "application/json", body: JSON.stringify({ code: err.code, message: err.rawMessage, details }) };
}

/** The response to a path no route has (grpc-gateway's routing error). */
export const routingError = (code: Code, message: string) => new ConnectError(message, code);

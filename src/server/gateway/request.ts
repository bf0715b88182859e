import {
  type DescField,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonObject,
  type JsonValue,
  type MessageShape,
  mergeFromJson,
  ScalarType,
} from "@bufbuild/protobuf";
import type { Route } from "./routes.js";

/** A client mistake in the HTTP request itself (bad JSON, a malformed parameter): HTTP 400. */
export class BadRequest extends Error {}

function fieldNamed(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name || f.jsonName === name);
}

/** A parameter's text as the JSON value its field takes (enums by name or number, as grpc-gateway allows). */
function jsonValueOf(field: DescField, text: string): JsonValue {
  const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (kind === "enum") return /^-?\d+$/.test(text) ? Number(text) : text;
  if (kind === "scalar") {
    const scalar = field.fieldKind === "list" ? field.scalar : field.fieldKind === "scalar" ? field.scalar : undefined;
    if (scalar === ScalarType.BOOL) {
      if (text !== "true" && text !== "false") throw new BadRequest(`parsing field "${field.name}": invalid boolean ${JSON.stringify(text)}`);
      return text === "true";
    }
  }
  return text;
}

/**
 * Sets a dotted field path (`sort_by.key`, `id.project`) in a JSON object
 * shaped like `schema`. Unknown names are ignored, as grpc-gateway ignores
 * unknown query parameters.
 */
export function setPath(json: JsonObject, schema: DescMessage, path: string, values: readonly string[]): void {
  const parts = path.split(".");
  let message: DescMessage | undefined = schema;
  let target = json;
  for (let i = 0; i < parts.length; i++) {
    const field: DescField | undefined = message ? fieldNamed(message, parts[i]!) : undefined;
    if (!field) return;
    if (i === parts.length - 1) {
      if (field.fieldKind === "list") target[field.jsonName] = values.map((v) => jsonValueOf(field, v));
      else if (field.fieldKind === "scalar" || field.fieldKind === "enum") {
        if (values.length > 1) throw new BadRequest(`too many values for field "${field.name}": ${values.join(", ")}`);
        target[field.jsonName] = jsonValueOf(field, values[0] ?? "");
      }
      return;
    }
    if (field.fieldKind !== "message") return;
    const next = (target[field.jsonName] ??= {}) as JsonObject;
    target = next;
    message = field.message;
  }
}

/**
 * The RPC request for an HTTP request, as grpc-gateway builds it: the body
 * (binary protobuf for application/octet-stream, else JSON) for body routes,
 * or the query parameters for the others; path variables last, so they win.
 */
export function buildRequest(
  route: Route,
  pathValues: readonly string[],
  query: URLSearchParams,
  body: Buffer,
  contentType: string,
): MessageShape<DescMessage> {
  const schema = route.method.input;
  let message: MessageShape<DescMessage>;
  try {
    if (route.body !== "" && body.length > 0) {
      if (contentType === "application/octet-stream") {
        message = route.body === "*" ? fromBinary(schema, body) : fromJson(schema, {});
        if (route.body !== "*") {
          const field = fieldNamed(schema, route.body);
          if (field?.fieldKind === "message") (message as Record<string, unknown>)[field.localName] = fromBinary(field.message, body);
        }
      } else {
        const parsed = JSON.parse(body.toString("utf8")) as JsonValue;
        // application/json rejects unknown fields (protojson's default); other types ignore them.
        const options = { ignoreUnknownFields: contentType !== "application/json" };
        message = route.body === "*" ? fromJson(schema, parsed, options) : fromJson(schema, { [route.body]: parsed } as JsonObject, options);
      }
    } else {
      const json: JsonObject = {};
      if (route.body === "") {
        for (const key of new Set(query.keys())) setPath(json, schema, key, query.getAll(key));
      }
      message = fromJson(schema, json, { ignoreUnknownFields: true });
    }
    const pathJson: JsonObject = {};
    route.variables.forEach((path, i) => setPath(pathJson, schema, path, [pathValues[i] ?? ""]));
    mergeFromJson(schema, message, pathJson, { ignoreUnknownFields: true });
    return message;
  } catch (e) {
    if (e instanceof BadRequest) throw e;
    throw new BadRequest((e as Error).message);
  }
}

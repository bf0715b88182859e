import {
  type DescField,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonObject,
  type JsonValue,
  type MessageShape,
  mergeFromJson,
} from "@bufbuild/protobuf";
import { parseEnumPathText, parseFieldText } from "./field-text.js";
import type { Route } from "./routes.js";
import { BINARY_READ_OPTIONS, JSON_READ_OPTIONS } from "../../core/proto-limits.js";

/** A client mistake in the HTTP request itself (bad JSON, a malformed parameter): HTTP 400. */
export class BadRequest extends Error {}

function fieldNamed(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name || f.jsonName === name);
}

/**
 * Sets a dotted field path (`sort_by.key`, `id.project`) in a JSON object
 * shaped like `schema`, as grpc-gateway's runtime populates a field from a
 * parameter: fields by proto or JSON name, unknown names ignored (an unknown
 * query parameter), only singular messages along the way, the text parsed by
 * Go's rules. Failures carry grpc-gateway's wording.
 */
export function setPath(json: JsonObject, schema: DescMessage, path: string, values: readonly string[]): void {
  const parts = path.split(".");
  let message = schema;
  let target = json;
  for (let i = 0; i < parts.length; i++) {
    const field = fieldNamed(message, parts[i]!);
    if (!field) return;
    if (i < parts.length - 1) {
      if (field.fieldKind !== "message") throw new BadRequest(`invalid path: ${JSON.stringify(parts[i])} is not a message`);
      target = (target[field.jsonName] ??= {}) as JsonObject;
      message = field.message;
      continue;
    }
    const parse = (text: string, what: string) => {
      try {
        return parseFieldText(field, text);
      } catch (e) {
        throw new BadRequest(`parsing ${what} ${JSON.stringify(field.name)}: ${(e as Error).message}`);
      }
    };
    if (field.fieldKind === "list") target[field.jsonName] = values.map((v) => parse(v, "list"));
    else if (field.fieldKind !== "map") {
      if (values.length > 1) throw new BadRequest(`too many values for field ${JSON.stringify(field.name)}: ${values.join(", ")}`);
      if (field.fieldKind === "message" && !TEXT_MESSAGES.has(field.message.typeName)) {
        throw new BadRequest(`parsing field ${JSON.stringify(field.name)}: unsupported message type: ${JSON.stringify(field.message.typeName)}`);
      }
      target[field.jsonName] = parse(values[0] ?? "", "field");
    }
  }
}

// Messages a parameter may spell as text; their JSON forms are that text.
const TEXT_MESSAGES = new Set(
  ["Timestamp", "Duration", "FieldMask", "StringValue", "BytesValue", "BoolValue", "Int32Value", "Int64Value", "UInt32Value", "UInt64Value", "FloatValue", "DoubleValue"].map(
    (n) => `google.protobuf.${n}`,
  ),
);

/** A path variable into `json`: a top-level enum as runtime.Enum reads it, anything else as a parameter. */
function setPathVariable(json: JsonObject, schema: DescMessage, path: string, value: string): void {
  const field = path.includes(".") ? undefined : fieldNamed(schema, path);
  try {
    if (field?.fieldKind === "enum") json[field.jsonName] = parseEnumPathText(field.enum, value);
    else setPath(json, schema, path, [value]);
  } catch (e) {
    throw new BadRequest(`type mismatch, parameter: ${path}, error: ${(e as Error).message}`);
  }
}

/** A query parameter's field path in proto names, or as given where it names no field. */
function protoPath(schema: DescMessage, key: string): string {
  const out: string[] = [];
  let message: DescMessage | undefined = schema;
  for (const part of key.split(".")) {
    const field: DescField | undefined = message && fieldNamed(message, part);
    if (!field) return key;
    out.push(field.name);
    message = field.fieldKind === "message" ? field.message : undefined;
  }
  return out.join(".");
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
    // grpc-gateway reads the body first, then the path, then the query; the first failure is the answer.
    const pathJson: JsonObject = {};
    const readPath = () => route.variables.forEach((path, i) => setPathVariable(pathJson, schema, path, pathValues[i] ?? ""));
    if (route.body === "") readPath();
    if (route.body !== "" && body.length > 0) {
      if (contentType === "application/octet-stream") {
        message = route.body === "*" ? fromBinary(schema, body, BINARY_READ_OPTIONS) : fromJson(schema, {}, JSON_READ_OPTIONS);
        if (route.body !== "*") {
          const field = fieldNamed(schema, route.body);
          if (field?.fieldKind === "message") (message as Record<string, unknown>)[field.localName] = fromBinary(field.message, body, BINARY_READ_OPTIONS);
        }
      } else {
        const parsed = JSON.parse(body.toString("utf8")) as JsonValue;
        // application/json rejects unknown fields (protojson's default); other types ignore them.
        const options = { ...JSON_READ_OPTIONS, ignoreUnknownFields: contentType !== "application/json" };
        message = route.body === "*" ? fromJson(schema, parsed, options) : fromJson(schema, { [route.body]: parsed } as JsonObject, options);
      }
    } else {
      const json: JsonObject = {};
      if (route.body === "") {
        for (const key of new Set(query.keys())) {
          // Parameters for fields the path binds are skipped, not merely overridden.
          const field = protoPath(schema, key);
          if (route.variables.some((v) => v === field || v.startsWith(`${field}.`) || field.startsWith(`${v}.`))) continue;
          setPath(json, schema, key, query.getAll(key));
        }
      }
      message = fromJson(schema, json, { ...JSON_READ_OPTIONS, ignoreUnknownFields: true });
    }
    if (route.body !== "") readPath();
    mergeFromJson(schema, message, pathJson, { ignoreUnknownFields: true });
    return message;
  } catch (e) {
    if (e instanceof BadRequest) throw e;
    throw new BadRequest((e as Error).message);
  }
}

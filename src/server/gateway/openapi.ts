import { type DescEnum, type DescField, type DescMessage, type DescService, getOption, hasOption, ScalarType } from "@bufbuild/protobuf";
import { openapiv2_operation } from "../../../gen/protoc-gen-openapiv2/options/annotations_pb.js";
import { definitionNames, namePool } from "./openapi-names.js";
import type { Route } from "./routes.js";

type Json = Record<string, unknown>;

// The well-known types protojson writes as plain JSON values; they get no definition of their own.
const WELL_KNOWN: Record<string, Json> = {
  "google.protobuf.FieldMask": { type: "string" },
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string" },
  "google.protobuf.StringValue": { type: "string" },
  "google.protobuf.BytesValue": { type: "string", format: "byte" },
  "google.protobuf.Int32Value": { type: "integer", format: "int32" },
  "google.protobuf.UInt32Value": { type: "integer", format: "int64" },
  "google.protobuf.Int64Value": { type: "string", format: "int64" },
  "google.protobuf.UInt64Value": { type: "string", format: "uint64" },
  "google.protobuf.FloatValue": { type: "number", format: "float" },
  "google.protobuf.DoubleValue": { type: "number", format: "double" },
  "google.protobuf.BoolValue": { type: "boolean" },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Struct": { type: "object" },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array", items: { type: "object" } },
  "google.protobuf.NullValue": { type: "string" },
};

// JSON types of scalars as protojson writes them: 64-bit integers are strings.
const SCALARS: Record<ScalarType, Json> = {
  [ScalarType.DOUBLE]: { type: "number", format: "double" },
  [ScalarType.FLOAT]: { type: "number", format: "float" },
  [ScalarType.INT64]: { type: "string", format: "int64" },
  [ScalarType.UINT64]: { type: "string", format: "uint64" },
  [ScalarType.INT32]: { type: "integer", format: "int32" },
  [ScalarType.FIXED64]: { type: "string", format: "uint64" },
  [ScalarType.FIXED32]: { type: "integer", format: "int64" },
  [ScalarType.BOOL]: { type: "boolean" },
  [ScalarType.STRING]: { type: "string" },
  [ScalarType.BYTES]: { type: "string", format: "byte" },
  [ScalarType.UINT32]: { type: "integer", format: "int64" },
  [ScalarType.SFIXED32]: { type: "integer", format: "int32" },
  [ScalarType.SFIXED64]: { type: "string", format: "int64" },
  [ScalarType.SINT32]: { type: "integer", format: "int32" },
  [ScalarType.SINT64]: { type: "string", format: "int64" },
};

// The error body every operation can answer with, and the Any its details are.
const STATUS = "google.rpc.Status";
const ANY = "google.protobuf.Any";

const enumSchema = (e: DescEnum): Json => ({
  type: "string",
  enum: e.values.map((v) => v.name),
  default: e.values.find((v) => v.number === 0)?.name,
});

/**
 * FlyteAdmin's /api/v1/openapi document (swagger 2.0, shaped like the
 * admin.swagger.json protoc-gen-openapiv2 writes for flyteidl) built from the
 * same descriptors and google.api.http bindings the gateway routes by: proto
 * field names, 64-bit integers as strings, enums as string enums, a
 * `<Service><Method>Body` definition where path variables take fields out of
 * a whole-message body. Proto comments are not in the embedded descriptors,
 * so texts come from the openapiv2 method options only.
 */
export function openApiDocument(services: readonly DescService[], routes: readonly Route[]): Json {
  const names = definitionNames(namePool(services));
  const nameOf = (typeName: string) => names.get(`.${typeName}`) ?? typeName.replaceAll(".", "");
  const ref = (typeName: string) => `#/definitions/${nameOf(typeName)}`;
  const messages = new Map<string, DescMessage>();
  const enums = new Map<string, DescEnum>();
  const definitions: Record<string, Json> = {};

  /** Collects a message and every message and enum its fields reach (well-known types and map entries aside). */
  const reach = (m: DescMessage) => {
    for (const f of m.fields) {
      const target = f.fieldKind === "map" ? (f.mapKind === "message" ? f.message : f.mapKind === "enum" ? f.enum : undefined) : (f.message ?? f.enum);
      if (!target || messages.has(target.typeName) || enums.has(target.typeName)) continue;
      if (target.kind === "enum") enums.set(target.typeName, target);
      else {
        messages.set(target.typeName, target);
        reach(target);
      }
    }
  };

  const schemaOfField = (f: DescField): Json => {
    const one = (kind: "scalar" | "enum" | "message", scalar?: ScalarType, type?: DescMessage | DescEnum): Json => {
      if (kind === "scalar") return { ...SCALARS[scalar!] };
      return WELL_KNOWN[type!.typeName] ? { ...WELL_KNOWN[type!.typeName] } : { $ref: ref(type!.typeName) };
    };
    switch (f.fieldKind) {
      case "scalar":
        return one("scalar", f.scalar);
      case "enum":
        return one("enum", undefined, f.enum);
      case "message":
        return one("message", undefined, f.message);
      case "list": {
        const item = one(f.listKind, f.listKind === "scalar" ? f.scalar : undefined, f.listKind === "enum" ? f.enum : f.listKind === "message" ? f.message : undefined);
        // protoc-gen-openapiv2 marks message items as objects next to their $ref.
        return { type: "array", items: f.listKind === "message" && !WELL_KNOWN[f.message.typeName] ? { type: "object", ...item } : item };
      }
      case "map":
        return { type: "object", additionalProperties: one(f.mapKind, f.mapKind === "scalar" ? f.scalar : undefined, f.mapKind === "enum" ? f.enum : f.mapKind === "message" ? f.message : undefined) };
    }
  };

  /** A message's schema without the fields path variables bind (`id.project` drops `project` from `id`, inline). */
  const messageSchema = (m: DescMessage, bound: readonly string[] = []): Json => {
    if (m.typeName === ANY) return { type: "object", properties: { "@type": { type: "string" } }, additionalProperties: {} };
    const properties: Json = {};
    for (const f of m.fields) {
      if (bound.includes(f.name)) continue;
      const inner = bound.filter((b) => b.startsWith(`${f.name}.`)).map((b) => b.slice(f.name.length + 1));
      if (inner.length > 0 && f.fieldKind === "message") {
        const nested = messageSchema(f.message, inner);
        // A field whose only members are all bound carries nothing in the body.
        if (nested.properties || nested.additionalProperties) properties[f.name] = nested;
        continue;
      }
      properties[f.name] = schemaOfField(f);
    }
    return Object.keys(properties).length > 0 ? { type: "object", properties } : { type: "object" };
  };

  /** Query parameters for the fields neither the path nor the body takes, dotted by proto name. */
  const queryParameters = (m: DescMessage, bound: readonly string[], prefix = "", seen: readonly string[] = []): Json[] => {
    const out: Json[] = [];
    const boundOneofs = new Set(m.fields.filter((f) => f.oneof && bound.some((b) => b === `${prefix}${f.name}` || b.startsWith(`${prefix}${f.name}.`))).map((f) => f.oneof));
    for (const f of m.fields) {
      const name = `${prefix}${f.name}`;
      if (bound.includes(name)) continue;
      if (f.oneof && boundOneofs.has(f.oneof) && !bound.some((b) => b.startsWith(`${name}.`))) continue;
      if (f.fieldKind === "message" && !WELL_KNOWN[f.message.typeName]) {
        // Cyclic messages cannot be spelled as query parameters.
        if (seen.includes(f.message.typeName)) continue;
        out.push(...queryParameters(f.message, bound, `${name}.`, [...seen, m.typeName]));
        continue;
      }
      // Lists of messages and maps have no query form.
      if ((f.fieldKind === "list" && f.listKind === "message") || f.fieldKind === "map") continue;
      const schema = schemaOfField(f);
      // google.protobuf.Value has no single JSON type to give a parameter.
      if (f.fieldKind === "message" && !schema.type) continue;
      const param: Json = { name, in: "query", required: false };
      if (f.fieldKind === "enum") Object.assign(param, enumSchema(f.enum));
      else if (f.fieldKind === "list") {
        const items = f.listKind === "enum" ? { type: "string", enum: f.enum.values.map((v) => v.name) } : schema.items;
        Object.assign(param, { type: "array", items, collectionFormat: "multi" });
      } else Object.assign(param, schema);
      out.push(param);
    }
    return out;
  };

  const pathParameter = (m: DescMessage, path: string): Json => {
    let field: DescField | undefined;
    let message: DescMessage | undefined = m;
    for (const part of path.split(".")) {
      field = message?.fields.find((f) => f.name === part);
      message = field?.fieldKind === "message" ? field.message : undefined;
    }
    const base = field?.fieldKind === "enum" ? enumSchema(field.enum) : field?.fieldKind === "scalar" ? SCALARS[field.scalar] : field?.fieldKind === "message" ? (WELL_KNOWN[field.message.typeName] ?? { type: "string" }) : { type: "string" };
    const { default: _unused, ...schema } = base;
    return { name: path, in: "path", required: true, ...schema };
  };

  const paths: Record<string, Record<string, Json>> = {};
  const bindingIndex = new Map<string, number>();
  for (const route of routes) {
    const { service, method } = route;
    const key = `${service.typeName}.${method.name}`;
    const index = bindingIndex.get(key) ?? 0;
    bindingIndex.set(key, index + 1);
    const parameters: Json[] = route.variables.map((v) => pathParameter(method.input, v));
    if (route.body === "*") {
      let schema: Json;
      if (route.variables.length === 0) {
        schema = { $ref: ref(method.input.typeName) };
        messages.set(method.input.typeName, method.input);
      } else {
        const name = `${service.name}${method.name}Body`;
        definitions[name] = messageSchema(method.input, route.variables);
        schema = { $ref: `#/definitions/${name}` };
      }
      parameters.push({ name: "body", in: "body", required: true, schema });
    } else {
      const bodyField = route.body ? method.input.fields.find((f) => f.name === route.body) : undefined;
      if (bodyField) parameters.push({ name: bodyField.name, in: "body", required: true, schema: schemaOfField(bodyField) });
      parameters.push(...queryParameters(method.input, bodyField ? [...route.variables, bodyField.name] : route.variables));
    }
    reach(method.input);
    messages.set(method.output.typeName, method.output);
    reach(method.output);

    const option = hasOption(method, openapiv2_operation) ? getOption(method, openapiv2_operation) : undefined;
    const responses: Json = { "200": { description: "A successful response.", schema: WELL_KNOWN[method.output.typeName] ?? { $ref: ref(method.output.typeName) } } };
    for (const [status, response] of Object.entries(option?.responses ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      responses[status] = { description: response.description, schema: {} };
    }
    responses.default = { description: "An unexpected error response.", schema: { $ref: ref(STATUS) } };
    const operation: Json = {
      ...(option?.summary ? { summary: option.summary } : {}),
      ...(option?.description ? { description: option.description } : {}),
      operationId: option?.operationId || `${service.name}_${method.name}${index > 0 ? index + 1 : ""}`,
      responses,
      ...(parameters.length > 0 ? { parameters } : {}),
      tags: option?.tags.length ? option.tags : [service.name],
      ...(option?.deprecated ? { deprecated: true } : {}),
    };
    (paths[route.template] ??= {})[route.verb.toLowerCase()] = operation;
  }

  for (const [typeName, m] of messages) {
    if (WELL_KNOWN[typeName]) continue;
    definitions[nameOf(typeName)] = messageSchema(m);
  }
  for (const [typeName, e] of enums) definitions[nameOf(typeName)] = enumSchema(e);
  // google.rpc.Status is not among the served files' types; its shape is fixed.
  definitions[nameOf(STATUS)] = {
    type: "object",
    properties: { code: { type: "integer", format: "int32" }, message: { type: "string" }, details: { type: "array", items: { type: "object", $ref: ref(ANY) } } },
  };
  definitions[nameOf(ANY)] = { type: "object", properties: { "@type": { type: "string" } }, additionalProperties: {} };

  const methodOrder = ["get", "delete", "post", "put", "patch"];
  const sortedPaths = Object.fromEntries(
    Object.keys(paths)
      .sort()
      .map((p) => [p, Object.fromEntries(Object.entries(paths[p]!).sort(([a], [b]) => methodOrder.indexOf(a) - methodOrder.indexOf(b)))]),
  );
  return {
    swagger: "2.0",
    info: { title: services[0]?.file.name ? `${services[0].file.name}.proto` : "", version: "version not set" },
    tags: services.map((s) => ({ name: s.name })),
    consumes: ["application/json"],
    produces: ["application/json"],
    paths: sortedPaths,
    definitions: Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]])),
  };
}

import type { TypedInterface, Variable, VariableMap } from "../../../gen/flyteidl/core/interface_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";

/**
 * Propeller's builder strips type metadata before writing interfaces into the
 * object (transformers/k8s StripTypeMetadata): it only bloats the object, and
 * propeller compares types without it. Annotations go too, unless they carry
 * `cache-key-metadata`, which feeds cache keys. Returns new values; the
 * closure is left as it was.
 */
export function stripTypeMetadata(t: LiteralType | undefined): LiteralType | undefined {
  if (t === undefined) return undefined;
  const out: LiteralType = { ...t, metadata: undefined };
  if (out.annotation !== undefined && !Object.hasOwn(out.annotation.annotations ?? {}, "cache-key-metadata")) {
    out.annotation = undefined;
  }
  if (out.structure !== undefined && Object.keys(out.structure.dataclassType).length > 0) {
    const dataclassType: Record<string, LiteralType> = {};
    for (const [k, v] of Object.entries(out.structure.dataclassType)) dataclassType[k] = stripTypeMetadata(v)!;
    out.structure = { ...out.structure, dataclassType };
  }
  const type = out.type;
  switch (type.case) {
    case "unionType":
      out.type = { case: "unionType", value: { ...type.value, variants: type.value.variants.map((v) => stripTypeMetadata(v)!) } };
      break;
    case "mapValueType":
      out.type = { case: "mapValueType", value: stripTypeMetadata(type.value)! };
      break;
    case "collectionType":
      out.type = { case: "collectionType", value: stripTypeMetadata(type.value)! };
      break;
    case "structuredDatasetType":
      out.type = {
        case: "structuredDatasetType",
        value: {
          ...type.value,
          columns: type.value.columns.map((c) => ({ ...c, literalType: stripTypeMetadata(c.literalType) })),
        },
      };
      break;
    default:
      break;
  }
  return out;
}

function stripVariables(map: VariableMap | undefined): VariableMap | undefined {
  if (map === undefined) return undefined;
  const variables: Record<string, Variable> = {};
  for (const [name, v] of Object.entries(map.variables)) {
    variables[name] = { ...v, type: stripTypeMetadata(v.type), description: "" };
  }
  return { ...map, variables };
}

/** The interface with every variable's type stripped and its description dropped. */
export function stripInterfaceTypeMetadata(iface: TypedInterface | undefined): TypedInterface | undefined {
  if (iface === undefined) return undefined;
  return { ...iface, inputs: stripVariables(iface.inputs), outputs: stripVariables(iface.outputs) };
}

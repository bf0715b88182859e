import { type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { http as httpAnnotation } from "../../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../../gen/google/api/http_pb.js";

/** One HTTP binding of an RPC, from its google.api.http annotation (or one of its additional bindings). */
export interface Route {
  readonly verb: string;
  readonly template: string;
  readonly pattern: RegExp;
  /** Field paths bound by path variables, in order (`id.project`, ...). */
  readonly variables: readonly string[];
  /** "" (no body), "*" (the whole message) or a field name. */
  readonly body: string;
  readonly service: DescService;
  readonly method: DescMethod;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function toRoute(rule: HttpRule, service: DescService, method: DescMethod): Route | undefined {
  const p = rule.pattern;
  if (p.case === undefined || p.case === "custom") return undefined;
  const variables: string[] = [];
  // flyteidl's templates use only simple `{a.b}` segments; as in grpc-gateway, a variable takes
  // exactly one segment, an empty one included (the handler then reports the missing value).
  const source = p.value
    .split("/")
    .map((segment) => {
      const v = /^\{([^}=]+)\}$/.exec(segment);
      if (!v) return escape(segment);
      variables.push(v[1]!);
      return "([^/]*)";
    })
    .join("/");
  return { verb: p.case.toUpperCase(), template: p.value, pattern: new RegExp(`^${source}$`), variables, body: rule.body, service, method };
}

/** Every binding of the services' unary methods, additional bindings included. */
export function routesOf(services: readonly DescService[]): Route[] {
  const out: Route[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind !== "unary" || !hasOption(method, httpAnnotation)) continue;
      const rule = getOption(method, httpAnnotation);
      for (const r of [rule, ...rule.additionalBindings]) {
        const route = toRoute(r, service, method);
        if (route) out.push(route);
      }
    }
  }
  return out;
}

/**
 * The route for a request, or why none: an unknown path, or a known path with
 * another verb. Like grpc-gateway's default (legacy) unescaping, the path is
 * decoded before it is split, so an escaped `/` separates segments.
 */
export function matchRoute(
  routes: readonly Route[],
  verb: string,
  rawPath: string,
): { route: Route; values: string[] } | "not-found" | "method-not-allowed" {
  const path = rawPath.split("/").map(decodeSegment).join("/");
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.verb !== verb) {
      pathMatched = true;
      continue;
    }
    return { route, values: m.slice(1) };
  }
  return pathMatched ? "method-not-allowed" : "not-found";
}

/** A path segment's value; a malformed escape is kept as sent rather than failing the request. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

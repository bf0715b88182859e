/** What a flyte:// data URL names: a node's or a task attempt's inputs, outputs or deck. */
export interface FlyteUrl {
  project: string;
  domain: string;
  name: string;
  nodeId: string;
  /** Set for the attempt form (`.../<node>/<attempt>/...`). */
  retryAttempt?: number;
  io: "i" | "o" | "d";
  /** One literal of the map, for the `.../{i|o}/<literal>` form. */
  literal?: string;
}

const SEGMENT = "[a-zA-Z0-9_-]+";
// FlyteAdmin's two patterns (common/flyte_url.go); like them, anchored only at the end.
const WHOLE = new RegExp(`flyte://v1/(${SEGMENT})/(${SEGMENT})/(${SEGMENT})/(${SEGMENT})(?:/([0-9]+))?/([iod])$`);
const ONE_LITERAL = new RegExp(`flyte://v1/(${SEGMENT})/(${SEGMENT})/(${SEGMENT})/(${SEGMENT})(?:/([0-9]+))?/([io])/(${SEGMENT})$`);

/** Parses a flyte:// URL; undefined when it has neither of FlyteAdmin's forms. */
export function parseFlyteUrl(url: string): FlyteUrl | undefined {
  const m = WHOLE.exec(url) ?? ONE_LITERAL.exec(url);
  if (!m) return undefined;
  const [, project, domain, name, nodeId, attempt, io, literal] = m;
  const retryAttempt = attempt === undefined ? undefined : Number(attempt);
  // Go's Atoi into a uint32 attempt: a number that does not fit names no attempt.
  if (retryAttempt !== undefined && !(retryAttempt <= 0xffffffff)) return undefined;
  return {
    project: project!,
    domain: domain!,
    name: name!,
    nodeId: nodeId!,
    ...(retryAttempt !== undefined ? { retryAttempt } : {}),
    io: io as FlyteUrl["io"],
    ...(literal !== undefined ? { literal } : {}),
  };
}

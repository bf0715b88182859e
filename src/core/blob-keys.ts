/**
 * Where the server keeps its own data in blob storage, in FlyteAdmin's layout
 * (`metadata/<project>/<domain>/<name>/...`, `common.OffloadLiteralMap`).
 *
 * FlyteAdmin joins raw ids with "/", so ids holding a "/" (task names and
 * versions, node ids are free text) could shift into the next segment: task
 * `a/b`@`v` and task `a`@`b/v` shared one key. Every id is therefore one
 * segment, percent-encoded where it would be ambiguous; an id without such
 * characters is kept byte for byte, so the common paths stay FlyteAdmin's.
 */

/** The files an execution keeps directly in its folder, beside its nodes' folders. */
const EXECUTION_FILES = new Set(["inputs", "user_inputs", "offloaded_outputs", "workflow_closure"]);

const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;

/**
 * One id as one key segment: "/" and "\" (separators), "%" (the escape itself),
 * control characters, and a leading "." ("." and ".." are not keys, ".blob-tmp"
 * is reserved) are written %XX. Decoding is plain percent-decoding.
 */
export function keySegment(id: string): string {
  return id.replace(/[%/\\\u0000-\u001f\u007f]/g, hex).replace(/^\./, hex);
}

/**
 * A node id as a segment of its execution's folder: node `inputs` would be a
 * folder where the execution's own `inputs` file is (on a local store one of
 * them cannot be written at all), so such names get their first letter escaped.
 */
function nodeSegment(nodeId: string): string {
  const s = keySegment(nodeId);
  return EXECUTION_FILES.has(s) ? hex(s[0]!) + s.slice(1) : s;
}

export interface ExecutionRef {
  project: string;
  domain: string;
  name: string;
}

const executionFolder = (e: ExecutionRef) => `metadata/${keySegment(e.project)}/${keySegment(e.domain)}/${keySegment(e.name)}`;

/** An execution's inputs as launched, or as the user sent them. */
export const executionInputsKey = (e: ExecutionRef, which: "inputs" | "user_inputs") => `${executionFolder(e)}/${which}`;

/** The compiled workflow an execution was handed to flytepropeller with, when the FlyteWorkflow carries only its location. */
export const executionClosureKey = (e: ExecutionRef) => `${executionFolder(e)}/workflow_closure`;

/** An execution's outputs, offloaded from an inline event. */
export const executionOutputsKey = (e: ExecutionRef) => `${executionFolder(e)}/offloaded_outputs`;

/** A node execution's inputs or outputs, offloaded from an inline event. */
export const nodeOffloadKey = (e: ExecutionRef, nodeId: string, which: "offloaded_inputs" | "offloaded_outputs") =>
  `${executionFolder(e)}/${nodeSegment(nodeId)}/${which}`;

export interface TaskRef {
  project: string;
  domain: string;
  name: string;
  version: string;
}

/** A task attempt's inputs or outputs, offloaded from an inline event. */
export const taskOffloadKey = (e: ExecutionRef, nodeId: string, task: TaskRef, retryAttempt: number, which: "offloaded_inputs" | "offloaded_outputs") =>
  `${executionFolder(e)}/${nodeSegment(nodeId)}/${[task.project, task.domain, task.name, task.version].map(keySegment).join("/")}/${retryAttempt}/${which}`;

/** The compiled closure of a dynamic node's workflow: `metadata/admin/<p>/<d>/<n>/<node>/<wfp>_<wfd>_<wfn>_<wfv>`. */
export const dynamicClosureKey = (e: ExecutionRef, nodeId: string, wf: TaskRef | undefined) =>
  `metadata/admin/${keySegment(e.project)}/${keySegment(e.domain)}/${keySegment(e.name)}/${keySegment(nodeId)}/${keySegment(
    `${wf?.project}_${wf?.domain}_${wf?.name}_${wf?.version}`,
  )}`;

/** Where an execution's own blobs are, and which keys below `prefix` are its own. */
export interface ExecutionBlobFolder {
  readonly prefix: string;
  /** `rest` is a key below `prefix` (the prefix taken off). */
  owns(rest: string): boolean;
}

const OFFLOADED = new Set(["offloaded_inputs", "offloaded_outputs"]);

/**
 * The server's folders of an execution. Folders of different executions can
 * nest (the execution `admin/X/Y` has `metadata/admin/X/Y/`, which is also
 * where the dynamic closures of every execution of project X, domain Y go), so
 * each folder owns only the key shapes the server writes there: the
 * execution's files (one segment), a node's offloads (two) and an attempt's
 * (seven); in the dynamic folder, a node's closure (two segments, never an
 * offload name).
 */
export function executionBlobFolders(e: ExecutionRef): ExecutionBlobFolder[] {
  return [
    {
      prefix: `${executionFolder(e)}/`,
      owns(rest) {
        const s = rest.split("/");
        const last = s[s.length - 1]!;
        return (s.length === 1 && EXECUTION_FILES.has(last)) || ((s.length === 2 || s.length === 7) && OFFLOADED.has(last));
      },
    },
    {
      prefix: `metadata/admin/${keySegment(e.project)}/${keySegment(e.domain)}/${keySegment(e.name)}/`,
      owns(rest) {
        const s = rest.split("/");
        return s.length === 2 && !OFFLOADED.has(s[1]!);
      },
    },
  ];
}

/** Plain percent-decoding of one segment (what `keySegment` wrote). */
const decodeSegment = (s: string) => s.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** The id a key segment stands for, when `keySegment` writes it exactly so (else not a key the server wrote). */
function idOf(segment: string | undefined): string | undefined {
  if (segment === undefined || segment === "") return undefined;
  const id = decodeSegment(segment);
  return keySegment(id) === segment ? id : undefined;
}

/**
 * The executions whose own blob (by `executionBlobFolders`' key shapes) `key`
 * could be: none for any other key (registered entities, cache entries, raw
 * data). Folders nest, so one key may fit more than one execution.
 */
export function executionsOwningKey(key: string): ExecutionRef[] {
  const s = key.split("/");
  if (s[0] !== "metadata") return [];
  const owners: ExecutionRef[] = [];
  const candidate = (at: number, folder: 0 | 1) => {
    const [project, domain, name] = [idOf(s[at]), idOf(s[at + 1]), idOf(s[at + 2])];
    if (project === undefined || domain === undefined || name === undefined) return;
    const e = { project, domain, name };
    if (executionBlobFolders(e)[folder]!.owns(s.slice(at + 3).join("/"))) owners.push(e);
  };
  if (s.length > 4) candidate(1, 0);
  if (s[1] === "admin" && s.length > 5) candidate(2, 1);
  return owners;
}

/**
 * The executions whose ids join to the engine's folder name `<p>-<d>-<name>`
 * (every split at two of its hyphens); undefined when there are more than
 * `max` ways to split it (the folder is then never taken for anyone's alone).
 */
export function executionsJoiningTo(joined: string, max: number): ExecutionRef[] | undefined {
  const hyphens: number[] = [];
  for (let i = 0; i < joined.length; i++) if (joined[i] === "-") hyphens.push(i);
  if ((hyphens.length * (hyphens.length - 1)) / 2 > max) return undefined;
  const out: ExecutionRef[] = [];
  for (let i = 0; i < hyphens.length; i++) {
    for (let j = i + 1; j < hyphens.length; j++) {
      const e = { project: joined.slice(0, hyphens[i]), domain: joined.slice(hyphens[i]! + 1, hyphens[j]), name: joined.slice(hyphens[j]! + 1) };
      if (e.project && e.domain && e.name) out.push(e);
    }
  }
  return out;
}

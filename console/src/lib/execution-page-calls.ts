import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/**
 * The execution page's first calls, encoded and read with the protobuf wire format alone. The entry
 * script sends them before the generated descriptors exist (building those is most of the app's
 * start-up), so it cannot use the schemas: these write exactly what protobuf-es writes for the
 * requests the page makes (fields in number order, empty ones left out), because an early answer is
 * only used for a request with the same bytes. The tests hold them to `toBinary`.
 */

export interface ExecutionKey {
  project: string;
  domain: string;
  name: string;
}

/**
 * The execution an execution page's path names: `<base>/projects/<p>/domains/<d>/executions/<name>`,
 * alone or followed by a node's task view (`/nodeId/...`). Segments are percent-decoded as the router
 * decodes them; anything else (and a segment that does not decode) is not an execution page.
 */
export function executionOfPath(pathname: string, base: string): ExecutionKey | undefined {
  if (!pathname.startsWith(`${base}/`)) return undefined;
  const s = pathname.slice(base.length + 1).split("/");
  if (s[0] !== "projects" || s[2] !== "domains" || s[4] !== "executions") return undefined;
  const [, project, , domain, , name, next] = s;
  if (!project || !domain || !name) return undefined;
  if (!(next === undefined || (next === "" && s.length === 7) || next === "nodeId")) return undefined;
  try {
    return { project: decodeURIComponent(project), domain: decodeURIComponent(domain), name: decodeURIComponent(name) };
  } catch {
    return undefined;
  }
}

/** core.WorkflowExecutionIdentifier: project 1, domain 2, name 4 (org 5 is never set by the console). */
function writeExecutionId(w: BinaryWriter, fieldNo: number, id: ExecutionKey): void {
  w.tag(fieldNo, WireType.LengthDelimited).fork();
  if (id.project) w.tag(1, WireType.LengthDelimited).string(id.project);
  if (id.domain) w.tag(2, WireType.LengthDelimited).string(id.domain);
  if (id.name) w.tag(4, WireType.LengthDelimited).string(id.name);
  w.join();
}

/** admin.WorkflowExecutionGetRequest { id = 1 }. */
export function getExecutionRequest(id: ExecutionKey): Uint8Array {
  const w = new BinaryWriter();
  writeExecutionId(w, 1, id);
  return w.finish();
}

/**
 * admin.NodeExecutionListRequest for the execution's top-level nodes: workflow_execution_id 1,
 * limit 2, token 3 (filters 4, sort_by 5 and unique_parent_id 6 are left empty, as the page leaves them).
 */
export function listNodeExecutionsRequest(id: ExecutionKey, limit: number, token: string): Uint8Array {
  const w = new BinaryWriter();
  writeExecutionId(w, 1, id);
  if (limit !== 0) w.tag(2, WireType.Varint).uint32(limit);
  if (token !== "") w.tag(3, WireType.LengthDelimited).string(token);
  return w.finish();
}

/** From an admin.NodeExecutionList answer: how many node executions (field 1) it holds, and its token (field 2). */
export function nodeListPage(bytes: Uint8Array): { count: number; token: string } {
  const r = new BinaryReader(bytes);
  let count = 0;
  let token = "";
  while (r.pos < r.len) {
    const [fieldNo, wireType] = r.tag();
    if (fieldNo === 1 && wireType === WireType.LengthDelimited) {
      count++;
      r.skip(wireType);
    } else if (fieldNo === 2 && wireType === WireType.LengthDelimited) {
      token = r.string();
    } else {
      r.skip(wireType, fieldNo);
    }
  }
  return { count, token };
}

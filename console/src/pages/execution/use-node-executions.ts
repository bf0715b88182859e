import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { NodeExecution } from "../../../../gen/flyteidl/admin/node_execution_pb.js";
import type { WorkflowExecutionIdentifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { timestampMs } from "../../lib/time-format.js";
import { listNodePages } from "./node-list-pages.js";
import { useLiveInterval } from "./use-live.js";

export interface NodeList {
  nodes: NodeExecution[];
  /** More nodes exist than the page loads. */
  cut: boolean;
}

type Id = Pick<WorkflowExecutionIdentifier, "project" | "domain" | "name">;

const fingerprint = (list: NodeList) =>
  `${list.nodes.length}:${list.nodes.reduce((max, n) => Math.max(max, timestampMs(n.closure?.updatedAt) ?? 0), 0)}`;

/** The query key prefix of every node list of an execution (top level and children). */
export const nodeListKey = (id: Id) => ["node-executions", id.project, id.domain, id.name];

/**
 * The execution's top-level node executions and the children of each parent
 * in `parents` (ListNodeExecutions with unique_parent_id), every page of each,
 * polled while the execution runs.
 */
export function useNodeExecutions(id: Id, executionTerminal: boolean, parents: readonly string[]) {
  const transport = useTransport();
  const client = useMemo(() => createClient(AdminService, transport), [transport]);
  const interval = useLiveInterval<NodeList>(fingerprint, () => executionTerminal, executionTerminal);
  const childInterval = useLiveInterval<NodeList>(fingerprint, () => executionTerminal, executionTerminal);

  const listAll = async (uniqueParentId: string, signal: AbortSignal): Promise<NodeList> => {
    const workflowExecutionId = { project: id.project, domain: id.domain, name: id.name };
    const all = await listNodePages(async (limit, token) => {
      const page = await client.listNodeExecutions({ workflowExecutionId, uniqueParentId, limit, token }, { signal });
      return { items: page.nodeExecutions, token: page.token };
    });
    return { nodes: all.items, cut: all.cut };
  };

  const key = nodeListKey(id);
  const top = useQuery({
    queryKey: [...key, ""],
    queryFn: ({ signal }) => listAll("", signal),
    refetchInterval: interval,
  });
  const children = useQueries({
    queries: parents.map((parent) => ({
      queryKey: [...key, parent],
      queryFn: ({ signal }: { signal: AbortSignal }) => listAll(parent, signal),
      refetchInterval: childInterval,
    })),
  });
  const childMap = new Map<string, NodeExecution[]>();
  parents.forEach((parent, i) => {
    const data = children[i]?.data;
    if (data) childMap.set(parent, data.nodes);
  });
  return { top, childMap, childErrors: children.map((c) => c.error).filter((e) => e !== null) };
}

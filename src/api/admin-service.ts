import type { ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { attributeHandlers } from "./attributes.js";
import { descriptionHandlers } from "./descriptions.js";
import { noEventMetrics, withEventCounts } from "./event-counts.js";
import { eventHandlers } from "./events.js";
import { executionHandlers } from "./executions.js";
import type { ApiDeps } from "./deps.js";
import { launchPlanHandlers } from "./launch-plans.js";
import { metricsHandlers } from "./metrics.js";
import { namedEntityHandlers } from "./named-entities.js";
import { nodeExecutionHandlers } from "./node-executions.js";
import { projectHandlers } from "./projects.js";
import { taskExecutionHandlers } from "./task-executions.js";
import { taskHandlers } from "./tasks.js";
import { workflowHandlers } from "./workflows.js";
import { versionHandlers } from "./version.js";

/**
 * flyteidl.service.AdminService, assembled from one handler module per area.
 * Methods no module implements yet answer UNIMPLEMENTED (connect fills them in
 * with `<service>.<method> is not implemented`).
 */
export function adminService(deps: ApiDeps): Partial<ServiceImpl<typeof AdminService>> {
  const handlers: Partial<ServiceImpl<typeof AdminService>> = {
    ...projectHandlers(deps),
    ...attributeHandlers(deps),
    ...taskHandlers(deps),
    ...descriptionHandlers(deps),
    ...workflowHandlers(deps),
    ...launchPlanHandlers(deps),
    ...namedEntityHandlers(deps),
    ...executionHandlers(deps),
    ...eventHandlers(deps),
    ...nodeExecutionHandlers(deps),
    ...taskExecutionHandlers(deps),
    ...metricsHandlers(deps),
    ...versionHandlers(deps),
  };
  return withEventCounts(handlers, deps.events ?? noEventMetrics);
}

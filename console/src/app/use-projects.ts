import { useQuery } from "@connectrpc/connect-query";
import { AdminService } from "../../../gen/flyteidl/service/admin_pb.js";

/**
 * Every project with its domains. Limit 0 is ListProjects' "all" (the Flyte console asks the same
 * way); the layout and the project pages share this one cached answer.
 */
export function useProjects() {
  return useQuery(AdminService.method.listProjects, { limit: 0 }, { staleTime: 60_000 });
}

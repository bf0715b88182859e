import type { ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { ApiDeps } from "./deps.js";

/** GetVersion: always OK. The proto's field names are capitalised (`Build`, `Version`, `BuildTime`). */
export function versionHandlers({ version }: ApiDeps): Pick<ServiceImpl<typeof AdminService>, "getVersion"> {
  return {
    getVersion() {
      return { controlPlaneVersion: { Build: version.build, Version: version.version, BuildTime: version.buildTime } };
    },
  };
}

import { useLocation } from "react-router";
import { type EntityKind, entityKindOfPath } from "./routes.js";

/** The entity kind of the current page (workflows, tasks or launch plans share their page modules). */
export function useEntityKind(): EntityKind {
  return entityKindOfPath(useLocation().pathname) ?? "workflow";
}

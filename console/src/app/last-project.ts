/** The last project and domain visited, so `/console/projects/<p>` without a domain goes back there. */
const KEY = "flyteadmin-ts.console.last-project";

export interface ProjectDomain {
  project: string;
  domain: string;
}

export function readLastProject(): ProjectDomain | undefined {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(KEY) ?? "null");
    if (value && typeof value === "object" && "project" in value && "domain" in value && typeof value.project === "string" && typeof value.domain === "string") {
      return { project: value.project, domain: value.domain };
    }
  } catch {
    // Storage can be disabled or hold garbage; either way there is no remembered project.
  }
  return undefined;
}

export function writeLastProject(value: ProjectDomain): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(value));
  } catch {
    // Private windows may refuse storage; remembering is only a convenience.
  }
}

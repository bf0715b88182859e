import { useParams } from "react-router";
import { ExecutionsList } from "./executions-list.js";
import { PhaseChart } from "./phase-chart.js";
import { RecentFailures } from "./recent-failures.js";

/**
 * A project domain's dashboard, where the Flyte console has it (`.../executions`): executions by
 * phase over time, the latest failures, and every execution with the console's filters.
 */
export default function ExecutionsPage() {
  const { project = "", domain = "" } = useParams();
  return (
    <>
      <h1>
        {project} <span className="kind">/ {domain}</span>
      </h1>
      <div className="dashboard">
        <PhaseChart project={project} domain={domain} />
        <RecentFailures project={project} domain={domain} />
      </div>
      <ExecutionsList project={project} domain={domain} />
    </>
  );
}

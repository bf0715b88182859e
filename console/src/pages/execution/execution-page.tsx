import { useParams } from "react-router";

/** Placeholder: the execution page (graph, timeline, nodes, inputs and outputs) is not built yet. */
export default function ExecutionPage() {
  const { project, domain, name } = useParams();
  return (
    <>
      <h1>Execution {name}</h1>
      <p className="status">
        The execution page is not built yet ({project}/{domain}/{name}).
      </p>
    </>
  );
}

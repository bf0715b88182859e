import { useQuery } from "@connectrpc/connect-query";
import type { Identifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { ErrorNotice } from "../../components/status.js";
import { formatLiteralType } from "../../lib/literal-type.js";

/** The task a node ran: type, interface, container; read once (a task version never changes). */
export function TaskTemplate({ id }: { id: Identifier }) {
  const task = useQuery(AdminService.method.getTask, { id }, { staleTime: Infinity });
  const t = task.data?.closure?.compiledTask?.template;
  return (
    <details className="task-template">
      <summary>
        Task <span className="mono">{id.name}</span> <span className="muted mono">{id.version}</span>
      </summary>
      {task.error ? <ErrorNotice error={task.error} /> : null}
      {t ? (
        <dl className="exec-facts">
          <div>
            <dt>Type</dt>
            <dd>{t.type}</dd>
          </div>
          <div>
            <dt>Inputs</dt>
            <dd className="mono">{varList(t.interface?.inputs?.variables)}</dd>
          </div>
          <div>
            <dt>Outputs</dt>
            <dd className="mono">{varList(t.interface?.outputs?.variables)}</dd>
          </div>
          {t.target.case === "container" ? (
            <>
              <div>
                <dt>Image</dt>
                <dd className="mono">{t.target.value.image}</dd>
              </div>
              <div>
                <dt>Command</dt>
                <dd className="mono wrap">{[...t.target.value.command, ...t.target.value.args].join(" ")}</dd>
              </div>
            </>
          ) : null}
        </dl>
      ) : null}
    </details>
  );
}

function varList(vars: Record<string, { type?: Parameters<typeof formatLiteralType>[0] }> | undefined): string {
  const entries = Object.entries(vars ?? {});
  return entries.length === 0 ? "—" : entries.map(([k, v]) => `${k}: ${formatLiteralType(v.type)}`).join(", ");
}

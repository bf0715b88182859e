import type { Parameter, Variable } from "../../../gen/flyteidl/core/interface_pb.js";
import { formatLiteralType } from "../lib/literal-type.js";

export interface InterfaceRow {
  name: string;
  variable: Variable | undefined;
  /** Launch plan inputs: required, has a default, or fixed. */
  note?: string;
}

/** Inputs or outputs of a task, workflow or launch plan: name, type as Python reads it, description. */
export function InterfaceTable({ title, rows }: { title: string; rows: InterfaceRow[] }) {
  return (
    <section aria-label={title}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="status">None.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col" className="hide-narrow">Description</th>
                {rows.some((r) => r.note) ? <th scope="col">Default</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.name}>
                  <td className="mono wrap">{row.name}</td>
                  <td className="mono wrap">{formatLiteralType(row.variable?.type)}</td>
                  <td className="wrap hide-narrow">{row.variable?.description && row.variable.description !== row.name ? row.variable.description : ""}</td>
                  {rows.some((r) => r.note) ? <td className="wrap">{row.note ?? ""}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Rows from a variable map, in the order the map lists them (flytekit's declaration order). */
export function variableRows(variables: { [key: string]: Variable } | undefined): InterfaceRow[] {
  return Object.entries(variables ?? {}).map(([name, variable]) => ({ name, variable }));
}

/** Rows from a launch plan's parameters: whether each is required or what default it carries. */
export function parameterRows(parameters: { [key: string]: Parameter } | undefined, fixed: ReadonlySet<string>): InterfaceRow[] {
  return Object.entries(parameters ?? {}).map(([name, p]) => ({
    name,
    variable: p.var,
    note: fixed.has(name) ? "fixed" : p.behavior.case === "required" && p.behavior.value ? "required" : p.behavior.case === "default" ? "has a default" : "optional",
  }));
}

/**
 * FlyteAdmin's `filters` strings, built the way the Flyte console builds them: `fn(key,value)` joined
 * by `+`, and `value_in` values joined by `;`. Values are validated here rather than escaped: the
 * grammar has no escaping, so a value holding `)`, `,` or `+` could not mean what the user typed.
 */
export type FilterOp = "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "contains" | "value_in";

export interface Filter {
  op: FilterOp;
  key: string;
  value: string | number | readonly (string | number)[];
}

const UNSAFE = /[(),+;]/;

export function filterString(filters: readonly Filter[]): string {
  return filters
    .map(({ op, key, value }) => {
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) {
        if (typeof v === "string" && UNSAFE.test(v)) throw new Error(`a filter value cannot contain ( ) , + or ;: ${JSON.stringify(v)}`);
      }
      return `${op}(${key},${values.join(";")})`;
    })
    .join("+");
}

/** Whether a search text can be sent as a `contains` filter (see UNSAFE). */
export function isSearchable(text: string): boolean {
  return !UNSAFE.test(text);
}

/** The executions of one workflow, task or launch plan, as the Flyte console's entity pages ask for them. */
export function entityExecutionFilters(kind: "workflow" | "task" | "launch_plan", id: { project: string; domain: string; name: string; version?: string }): Filter[] {
  const out: Filter[] = [
    { op: "eq", key: `${kind}.name`, value: id.name },
    { op: "eq", key: `${kind}.project`, value: id.project },
    { op: "eq", key: `${kind}.domain`, value: id.domain },
  ];
  if (id.version) out.push({ op: "eq", key: `${kind}.version`, value: id.version });
  return out;
}

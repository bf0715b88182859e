// Compile errors, collected the way flytepropeller's compiler collects them.
//
// The compiler does not stop at the first problem: every validator reports into
// an ErrorScope and keeps going, so the user sees all problems of a workflow at
// once. Scopes nest; a child forwards everything to the root but keeps its own
// count, because many validators decide what to do next from "did *my* part
// fail" (a scope's hasErrors), not from "has anything failed so far".
//
// The root stores errors as a *set*: the same (code, node, description) reported
// twice (e.g. the workflow outputs are validated twice) shows up once, and the
// final list is sorted by code and then by the rendered text, which makes the
// message independent of traversal order.

export interface CompileError {
  code: string;
  nodeId: string;
  description: string;
}

const errorKey = (e: CompileError): string => `${e.code}\u0000${e.nodeId}\u0000${e.description}`;

/** The one-line rendering used inside the collected message. */
export function renderCompileError(e: CompileError): string {
  return `Code: ${e.code}, Node Id: ${e.nodeId}, Description: ${e.description}`;
}

/** Sorted, de-duplicated copy: order by code, then by the rendered line. */
export function sortCompileErrors(errors: readonly CompileError[]): CompileError[] {
  const unique = new Map<string, CompileError>();
  for (const e of errors) unique.set(errorKey(e), e);
  return [...unique.values()].sort((a, b) => {
    if (a.code !== b.code) return a.code < b.code ? -1 : 1;
    const ra = renderCompileError(a);
    const rb = renderCompileError(b);
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  });
}

/**
 * "Collected Errors: <n>\n\tError <i>: Code: <Code>, Node Id: <id>, Description: <text>\n" per error,
 * numbered from 0 — byte for byte what FlyteAdmin puts after "with err: ".
 */
export function formatCompileErrors(errors: readonly CompileError[]): string {
  const list = sortCompileErrors(errors);
  let out = `Collected Errors: ${list.length}\n`;
  list.forEach((e, i) => {
    out += `\tError ${i}: ${renderCompileError(e)}\n`;
  });
  return out;
}

export class ErrorScope {
  private count = 0;
  private readonly set: Map<string, CompileError> | undefined;

  private constructor(private readonly parent: ErrorScope | undefined) {
    this.set = parent ? undefined : new Map();
  }

  static root(): ErrorScope {
    return new ErrorScope(undefined);
  }

  newScope(): ErrorScope {
    return new ErrorScope(this);
  }

  collect(...errors: CompileError[]): void {
    if (this.parent) this.parent.collect(...errors);
    else for (const e of errors) this.set?.set(errorKey(e), e);
    this.count += errors.length;
  }

  /** True when this scope or one of its children collected something. */
  hasErrors(): boolean {
    return this.count > 0;
  }

  /** All errors of the whole tree (asked of any scope), sorted and unique. */
  list(): CompileError[] {
    if (this.parent) return this.parent.list();
    return sortCompileErrors([...(this.set?.values() ?? [])]);
  }
}

/** Thrown by workflowRequirements when the sub-workflow index cannot be built. */
export class CompilationFailed extends Error {
  constructor(readonly errors: CompileError[]) {
    super(formatCompileErrors(errors));
    this.name = "CompilationFailed";
  }
}

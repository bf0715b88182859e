import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";

export interface Flytekit {
  /** The folder holding pyflyte-execute and its siblings; it goes first on the tasks' PATH. */
  binDir: string;
  /**
   * PYTHONPATH entries the environment needs beyond what its commands set up themselves:
   * a kit laid out as `<root>/bin` + `<root>/site` (its wrappers put `site` on sys.path, but
   * a task's own `python3` subprocesses would not find flytekit without it). Empty for a venv.
   */
  pythonPath: string[];
}

const ENTRY = "pyflyte-execute";

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where flytekit's commands are. `python` is "" (look on the server's PATH), a virtualenv
 * or kit folder (its `bin/`), a bin folder, or a python executable in such a bin folder.
 * Undefined when no pyflyte-execute is found there.
 */
export function findFlytekit(python: string, searchPath: string = process.env.PATH ?? ""): Flytekit | undefined {
  let binDir: string | undefined;
  if (python === "") {
    const found = onPath(ENTRY, searchPath);
    binDir = found === undefined ? undefined : dirname(found);
  } else {
    const base = resolve(python);
    const candidates = [join(base, "bin"), base, dirname(base)];
    binDir = candidates.find((d) => isExecutableFile(join(d, ENTRY)));
  }
  if (binDir === undefined) return undefined;
  const root = dirname(binDir);
  const site = join(root, "site");
  const isKit = !existsSync(join(root, "pyvenv.cfg")) && existsSync(join(site, "flytekit"));
  return { binDir, pythonPath: isKit ? [site] : [] };
}

/** The first executable `name` in the PATH-style list `searchPath`. */
export function onPath(name: string, searchPath: string): string | undefined {
  for (const d of searchPath.split(delimiter)) {
    if (d === "" || !isAbsolute(d)) continue;
    const p = join(d, name);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/**
 * The program to run for argv[0]: an absolute path as given, a bare name from the flytekit bin
 * folder first, then `searchPath`. A relative path is left as it is: it names something the
 * task creates in its working directory (fast-registered code), which only exists once it runs.
 * Undefined when nothing executable is found.
 */
export function resolveExecutable(name: string, binDir: string | undefined, searchPath: string): string | undefined {
  if (name === "") return undefined;
  if (isAbsolute(name)) return isExecutableFile(name) ? name : undefined;
  if (name.includes("/")) return name;
  if (binDir !== undefined && isExecutableFile(join(binDir, name))) return join(binDir, name);
  return onPath(name, searchPath);
}

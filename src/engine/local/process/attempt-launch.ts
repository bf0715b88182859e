import { toBinary } from "@bufbuild/protobuf";
import { LiteralMapSchema } from "../../../../gen/flyteidl/core/literals_pb.js";
import { TaskTemplateSchema } from "../../../../gen/flyteidl/core/tasks_pb.js";
import type { BlobStore } from "../../../blob/blob-store.js";
import type { Logger } from "../../../logger.js";
import { retryUniqueKey } from "../ids.js";
import { taskTemplatePath } from "../paths.js";
import { RenderError, renderArgs, usesTaskTemplatePath } from "../render.js";
import type { PhaseInfo, TaskAttempt } from "../task-plugin.js";
import { failure } from "./classify.js";
import { type Flytekit, resolveExecutable } from "./find-flytekit.js";
import { buildProcessEnv } from "./process-env.js";
import { readTaskSecrets } from "./secrets.js";
import { baseName, rewriteDestDir, taskCommand } from "./task-command.js";

/** What the launch of one attempt needs besides the attempt. */
export interface LaunchContext {
  python: string;
  kit: Flytekit | undefined;
  codePaths: readonly string[];
  defaultEnv: Readonly<Record<string, string>>;
  secretsDir: string;
  blobs: BlobStore;
  blobEnv: Readonly<Record<string, string>>;
  logger: Logger;
}

export interface Prepared {
  argv: string[];
  env: Record<string, string>;
}

const INPUTS_PATTERN = /\{\{\s*[.$]inputs\./i;

export function isFlytekitCommand(name: string): boolean {
  return baseName(name).startsWith("pyflyte");
}

export function pythonNotConfigured(python: string, name: string): PhaseInfo {
  const where = python === "" ? "on the server's PATH" : `in ${python}`;
  return failure(
    "PermanentFailure",
    "SYSTEM",
    "LocalPythonNotConfigured",
    `no pyflyte-execute found ${where} to run the task's ${baseName(name)}: install flytekit and set --engine-python ` +
      "(engine.local.python) to its virtualenv or bin folder",
  );
}

export interface PrepareOptions {
  /** Applied to the rendered argv (host mode's raw-container path rewrite). */
  rewrite?: (argv: string[]) => string[];
  /** Set last (raw-container data dirs). */
  extraEnv?: Record<string, string>;
  /**
   * The command runs inside a container image, not on this host: argv[0] is left for the
   * image to resolve, and neither the host's flytekit nor its code paths are put in the env.
   */
  inContainer?: boolean;
}

/**
 * Fast-registered code comes in the task's own tarball, which pyflyte-fast-execute unpacks and
 * puts on sys.path after PYTHONPATH: the configured code paths would shadow it with whatever
 * version of the same modules they hold, so they are left out for such tasks.
 */
const isFastRegistered = (argv: readonly string[]) => argv.some((x) => baseName(x) === "pyflyte-fast-execute");

/**
 * How a map task's process finds its element (propeller adds these to the execution's envs of
 * each element): flytekit reads the index from the variable BATCH_JOB_ARRAY_INDEX_VAR_NAME names.
 */
export const arrayIndexEnv = (index: number): Record<string, string> => ({
  BATCH_JOB_ARRAY_INDEX_VAR_NAME: "FLYTE_K8S_ARRAY_INDEX",
  FLYTE_K8S_ARRAY_INDEX: String(index),
});

const localOrUri = (blobs: BlobStore, uri: string): string => (uri === "" ? uri : (blobs.localPath?.(uri) ?? uri));

/**
 * The argv and environment of an attempt (engine-spec §4.2, §4.3, §4.6), or the failure that
 * ends the attempt before it starts: a template that cannot be rendered is the user's
 * (`FailedToBuildResource`, as the pod plugin reports it), a missing flytekit the platform's.
 */
export async function prepareLaunch(a: TaskAttempt, dir: string, c: LaunchContext, o: PrepareOptions = {}): Promise<Prepared | PhaseInfo> {
  let command;
  try {
    command = taskCommand(a.template);
  } catch (e) {
    return failure("PermanentFailure", "USER", "BadTaskSpecification", (e as Error).message);
  }
  let argv: string[];
  try {
    const inputs = command.argv.some((x) => INPUTS_PATTERN.test(x)) ? await readInputs(a, c.blobs) : undefined;
    const templatePath = usesTaskTemplatePath(command.argv) ? await writeTaskTemplate(a, c.blobs) : undefined;
    argv = renderArgs(command.argv, {
      input: a.array?.inputPath ?? a.paths.inputPath,
      inputPrefix: a.array?.inputPrefix ?? a.paths.inputPrefix,
      outputPrefix: a.paths.outputPrefix,
      // Plain paths for what flytekit writes raw data under: the FlyteFiles it produces then
      // carry paths, which flytekit (here and in the client) reads; it refuses file:// URIs.
      rawOutputDataPrefix: localOrUri(c.blobs, a.paths.rawOutputPrefix),
      checkpointOutputPrefix: localOrUri(c.blobs, a.paths.checkpointPrefix),
      prevCheckpointPrefix: localOrUri(c.blobs, a.paths.prevCheckpointPrefix),
      perRetryUniqueKey: retryUniqueKey(a.generatedName),
      namespace: a.namespace,
      inputs,
      ...(templatePath !== undefined ? { taskTemplatePath: templatePath } : {}),
    });
  } catch (e) {
    if (e instanceof RenderError) return failure("PermanentFailure", "USER", "FailedToBuildResource", `failed to render the task's command: ${e.message}`);
    throw e;
  }
  argv = rewriteDestDir(argv, dir);
  if (o.rewrite) argv = o.rewrite(argv);
  const first = argv[0] ?? "";
  const kit = o.inContainer ? undefined : c.kit;
  if (!o.inContainer && isFlytekitCommand(first) && !kit) return pythonNotConfigured(c.python, first);

  const env = buildProcessEnv({
    templateEnv: command.env,
    executionId: a.executionId,
    workflowName: a.workflowName,
    taskId: a.taskId,
    attempt: a.attempt,
    executionEnvs: a.array ? { ...a.envs, ...arrayIndexEnv(a.array.index) } : a.envs,
    defaultEnv: c.defaultEnv,
    blobEnv: c.blobEnv,
    secrets: await readTaskSecrets(c.secretsDir, a.template.securityContext?.secrets ?? [], c.logger),
    binDir: kit?.binDir,
    hostPath: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    home: process.env.HOME,
    lang: process.env.LANG,
    tmpDir: `${dir}/tmp`,
    pythonPath: o.inContainer ? [] : [...(isFastRegistered(argv) ? [] : c.codePaths), ...(kit?.pythonPath ?? [])],
    extra: o.extraEnv ?? {},
  });
  if (o.inContainer) return { argv, env };
  const exe = resolveExecutable(first, c.kit?.binDir, env.PATH ?? "");
  if (exe === undefined) {
    if (isFlytekitCommand(first)) return pythonNotConfigured(c.python, first);
    return failure("PermanentFailure", "USER", "ExecutableNotFound", `the task's command [${first}] was not found on the task's PATH (${env.PATH ?? ""})`);
  }
  argv[0] = exe;
  return { argv, env };
}

/** Writes the task's template to `D/task.pb` (D: the folder of its inputs, as for array sub-tasks) for `{{.taskTemplatePath}}`; its URI. */
async function writeTaskTemplate(a: TaskAttempt, blobs: BlobStore): Promise<string> {
  const uri = taskTemplatePath(a.paths.inputPath.slice(0, a.paths.inputPath.lastIndexOf("/")));
  const key = blobs.keyOf(uri);
  if (key === undefined) throw new RenderError(`the task template's location ${uri} is not in the blob store`);
  await blobs.put(key, toBinary(TaskTemplateSchema, a.template));
  return uri;
}

async function readInputs(a: TaskAttempt, blobs: BlobStore) {
  const key = blobs.keyOf(a.paths.inputPath);
  if (key === undefined) throw new RenderError(`the task's inputs ${a.paths.inputPath} are not in the blob store`);
  return blobs.getMessage(key, LiteralMapSchema);
}

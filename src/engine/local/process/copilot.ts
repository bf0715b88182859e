/**
 * Raw-container tasks (`ContainerTask`, task type `raw-container`) and the copilot contract
 * (engine-spec §4.7): in Kubernetes flytecopilot downloads the inputs into files before the
 * container starts and uploads the output files after it exits. The local engine does both
 * on the host (copilot-inputs.ts, copilot-outputs.ts); in host mode it also points the
 * container's declared paths at the attempt's own directories.
 */
import type { TaskTemplate } from "../../../../gen/flyteidl/core/tasks_pb.js";
import { dataConfigOf, declaredPaths } from "./copilot-common.js";

export { CopilotDownloadError, prepareCopilotInputs } from "./copilot-inputs.js";
export { COPILOT_UPLOAD_ERROR_CODE, COPILOT_USER_ERROR_CODE, uploadCopilotOutputs } from "./copilot-outputs.js";
export { COPILOT_LIMITS, DEFAULT_INPUT_PATH, DEFAULT_OUTPUT_PATH, declaredPaths } from "./copilot-common.js";

/** True when the template asks for copilot data loading (`container.data_config.enabled`, or the pod template's). */
export function isCopilotTask(template: TaskTemplate): boolean {
  return dataConfigOf(template)?.enabled === true;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Host mode: replaces the declared input/output paths in the rendered argv with the attempt's
 * `inDir`/`outDir`. A path is replaced where it is followed by `/`, a quote, whitespace or the
 * end of the argument (so `sh -c "… > /var/outputs/out"` works), and where it starts a path
 * (not preceded by a name character or `.`, so `/mnt/var/outputs` stays as it is). The root
 * path `/` is never replaced. Longer declared paths win when one contains the other.
 */
export function rewriteCopilotPaths(argv: readonly string[], template: TaskTemplate, inDir: string, outDir: string): string[] {
  const { inputPath, outputPath } = declaredPaths(template);
  const targets = new Map<string, string>();
  if (outputPath !== "/") targets.set(outputPath, outDir);
  if (inputPath !== "/") targets.set(inputPath, inDir);
  if (targets.size === 0) return [...argv];
  const alternatives = [...targets.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![A-Za-z0-9_.~-])(${alternatives.join("|")})(?=[/"'\\s]|$)`, "g");
  return argv.map((arg) => arg.replace(pattern, (m) => targets.get(m) ?? m));
}

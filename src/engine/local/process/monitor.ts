import type { ChildProcess } from "node:child_process";
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TaskLog } from "../../../../gen/flyteidl/core/execution_pb.js";
import type { BlobStore } from "../../../blob/blob-store.js";
import { errorPath } from "../paths.js";
import type { PhaseInfo, TaskAttempt } from "../task-plugin.js";
import { classifyErrorDocument, classifyFailedExit, failure, lost } from "./classify.js";
import type { ContainerRef } from "./container-runner.js";
import { isCopilotTask, uploadCopilotOutputs } from "./copilot.js";
import type { ExitWatcher, Watched } from "./exit-watcher.js";
import { ABORT_FILE, LOG_FILE, UPLOADED_FILE, controlPath } from "./attempt-files.js";
import { logTail } from "./log-tail.js";
import { type ProcRecord, hasExited, isAlive, readProcRecord } from "./proc-record.js";

/** What the plugin persists per attempt (TaskAttempt.state). */
export interface ProcState {
  v: 1;
  dir: string;
  shimPid?: number;
  shimStart?: string;
  /** The container a raw-container attempt runs in (container runtime mode). */
  container?: ContainerRef;
  /** A verdict reached before any process ran (bad template, no flytekit), so a replayed round repeats it. */
  verdict?: { phase: "PermanentFailure" | "RetryableFailure"; kind: "USER" | "SYSTEM"; code: string; message: string };
}

/** What the server knows in memory about an attempt it launched or re-attached (lost on restart). */
export interface AttemptJob {
  /** Asks for a round of the attempt's execution (the latest attempt object's wake). */
  wake(): void;
  /** The shim this server started, and whether it has ended. */
  child?: ChildProcess;
  childDone?: boolean;
  spawned?: { shimPid: number; shimStart?: string };
  /** Raw-container inputs are being downloaded before the start. */
  launching?: boolean;
  failure?: PhaseInfo;
  /** Aborted before the start: the start is skipped. */
  cancelled?: boolean;
  /** Raw-container outputs are being uploaded after the exit. */
  uploading?: boolean;
  uploadFailure?: PhaseInfo;
}

export interface MonitorOptions {
  blobs: BlobStore;
  watcher: ExitWatcher;
  taskLog(a: TaskAttempt): TaskLog;
}

/** propeller's default limit on the size of a task's output documents. */
const MAX_ERROR_BYTES = 10 * 1024 * 1024;

const exists = (p: string) => access(p).then(() => true, () => false);

/**
 * The progress of a launched attempt, read from the shim's record (engine-spec §4.5, §8.5):
 * running while the task (or the shim finishing its record) lives; once the exit is
 * recorded, the verdict from the exit status and `error.pb`; a process that vanished without
 * an exit record is lost (a system failure), unless the engine aborted it.
 */
export function createMonitor(o: MonitorOptions) {
  const running = (a: TaskAttempt): PhaseInfo => ({ phase: "Running", version: 0, logs: [o.taskLog(a)] });

  /** Makes sure a wake-up comes when the process ends: the shim's exit event, or else the watcher's polling. */
  function follow(dir: string, job: AttemptJob, w: Omit<Watched, "wake">) {
    if (job.child && !job.childDone) return;
    o.watcher.watch(dir, { ...w, wake: () => job.wake() });
  }

  async function check(a: TaskAttempt, st: { dir: string; shimPid?: number; shimStart?: string }, job: AttemptJob): Promise<PhaseInfo> {
    const dir = st.dir;
    let rec = await readProcRecord(dir);
    if (rec && !hasExited(rec)) {
      const shimStart = rec.shimStart ?? (rec.shimPid === st.shimPid ? st.shimStart : undefined);
      // The task runs, or it has just ended and the shim is writing the exit down.
      if (isAlive(rec.pid, rec.startTime) || isAlive(rec.shimPid, shimStart)) {
        follow(dir, job, { shimPid: rec.shimPid, shimStart, pid: rec.pid, startTime: rec.startTime });
        return running(a);
      }
      rec = await readProcRecord(dir);
    } else if (!rec) {
      // The shim is starting the task.
      if (st.shimPid !== undefined && isAlive(st.shimPid, st.shimStart)) {
        follow(dir, job, { shimPid: st.shimPid, shimStart: st.shimStart });
        return running(a);
      }
      rec = await readProcRecord(dir);
    }
    o.watcher.unwatch(dir);
    if (await exists(controlPath(dir, ABORT_FILE))) return { phase: "Aborted", version: 0, reason: "aborted by the engine", logs: [o.taskLog(a)] };
    if (!rec) {
      return lost(
        st.shimPid === undefined
          ? "the server stopped while the task was being started"
          : `the process shim (pid ${st.shimPid}) ended without recording the task`,
      );
    }
    if (!hasExited(rec)) {
      return lost(
        rec.pid === undefined
          ? `the process shim (pid ${rec.shimPid}) ended before it started the task`
          : `the task process (pid ${rec.pid}) is gone without an exit record`,
      );
    }
    return finished(a, dir, rec, job);
  }

  async function finished(a: TaskAttempt, dir: string, rec: ProcRecord, job: AttemptJob): Promise<PhaseInfo> {
    const logs = [o.taskLog(a)];
    if (rec.signal || rec.exitCode !== 0) {
      return { ...classifyFailedExit(rec, a.generatedName, await logTail(controlPath(dir, LOG_FILE))), logs };
    }
    if (isCopilotTask(a.template) && !(await exists(controlPath(dir, UPLOADED_FILE)))) {
      if (job.uploadFailure) return { ...job.uploadFailure, logs };
      if (!job.uploading) upload(a, dir, job);
      return running(a);
    }
    const uri = errorPath(a.paths.outputPrefix);
    const key = o.blobs.keyOf(uri);
    if (key === undefined) return failure("PermanentFailure", "SYSTEM", "BadOutputPrefix", `the output prefix ${a.paths.outputPrefix} is not in the blob store`);
    const info = await o.blobs.stat(key);
    if (!info) return { phase: "Success", version: 0, logs };
    if (info.size > MAX_ERROR_BYTES) {
      return failure("PermanentFailure", "SYSTEM", "ErrorFileTooLarge", `error file @[${uri}] is too large [${info.size}] bytes, max allowed [${MAX_ERROR_BYTES}] bytes`);
    }
    const bytes = await o.blobs.get(key);
    if (!bytes) return { phase: "Success", version: 0, logs };
    return { ...classifyErrorDocument(bytes, uri), logs };
  }

  /** Uploads a raw container's outputs in the background (they may be large); the attempt stays RUNNING meanwhile. */
  function upload(a: TaskAttempt, dir: string, job: AttemptJob) {
    job.uploading = true;
    const t = a.template;
    void uploadCopilotOutputs({ template: t, outDir: join(dir, "out"), outputPrefix: a.paths.outputPrefix, rawOutputPrefix: a.paths.rawOutputPrefix, blobs: o.blobs })
      .then(() => writeFile(controlPath(dir, UPLOADED_FILE), "", { mode: 0o600 }))
      .catch((e: unknown) => {
        job.uploadFailure = failure("RetryableFailure", "SYSTEM", "OutputUploadFailed", `failed to upload the task's outputs: ${(e as Error)?.message ?? String(e)}`);
      })
      .finally(() => {
        job.uploading = false;
        job.wake();
      });
  }

  return { check };
}

"use strict";
// The process shim of the local task runner (engine-spec §8.5), run as
//   node shim.cjs <absolute attempt dir>
// with stdout and stderr already pointing at <attempt dir>/.engine/task.log.
//
// It reads the command and environment from .engine/launch.json (and deletes that
// file: the environment may hold secrets), starts the command in the attempt folder
// in a process group of its own, and records in .engine/proc.json (always written to
// a temporary file and renamed, so readers never see half a record). The engine's
// files sit in .engine/ so that nothing the task writes in its folder is taken for them.
//   at once:  {v, shimPid, shimStart}            (proves to a later server that a launch began)
//   on start: the same plus {pid, pgid, startTime, startedAt}
//   on exit:  the same plus {exitCode, signal, endedAt, oomKilled?, error?, launchFault?}
// launchFault marks a start that failed for the shim's own reasons (an unusable launch.json,
// a failed spawn), a platform failure, unlike a command that is missing or not executable.
// SIGTERM, SIGINT and SIGHUP sent to the shim are passed on to the task's group, and
// the first of them arms a SIGKILL of the group after the grace period named in
// launch.json (graceMs): the shim, which outlives the server, owns the escalation, so
// an abort ends the task even if the server stops, and a repeated abort never puts
// the SIGKILL off. With the SIGKILL it runs launch.json's stopArgv, if any (a container
// runtime's stop: the container outlives its killed client).
// When the task's main process ends, whatever it left running in its group is
// killed, as a container's processes end with the container.
//
// Plain CommonJS with no dependencies: the server starts it with process.execPath
// from src/ or dist/ alike, and it must cost as little as possible while it waits.

const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");

const dir = process.argv[2];
// Absolute: the shim runs in the attempt folder, where a relative path would name another one.
if (!dir || !path.isAbsolute(dir)) {
  process.stderr.write("shim: usage: shim.cjs <absolute attempt dir>\n");
  process.exit(2);
}
const controlDir = path.join(dir, ".engine");
const recordPath = path.join(controlDir, "proc.json");
let record = { v: 1, shimPid: process.pid };
let child;
let pendingSignal;
let launch;
let killTimer;
/** propeller's default; launch.json says otherwise (at most 24 h: longer timers fire at once). */
const DEFAULT_GRACE_MS = 30000;

function writeRecord() {
  const tmp = `${recordPath}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
  fs.renameSync(tmp, recordPath);
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): with the pid, it names one process. */
function startTimeOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The kernel's count of OOM kills in this process's cgroup (v2), to tell an OOM kill from another SIGKILL. */
function oomKills() {
  try {
    const line = fs.readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"));
    if (!line) return undefined;
    const events = fs.readFileSync(path.join("/sys/fs/cgroup", line.slice(3), "memory.events"), "utf8");
    const m = /^oom_kill (\d+)$/m.exec(events);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function killGroup(signal) {
  if (!child || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function finish(fields) {
  try {
    record = { ...record, ...fields, endedAt: new Date().toISOString() };
    writeRecord();
  } catch (e) {
    process.stderr.write(`shim: cannot write ${recordPath}: ${e && e.message}\n`);
  }
  process.exit(0);
}

function graceMs() {
  const g = launch && launch.graceMs;
  return typeof g === "number" && Number.isFinite(g) && g >= 0 && g <= 86400000 ? g : DEFAULT_GRACE_MS;
}

/** After the grace period: SIGKILL for the whole group, and the stop command for what runs outside it. */
function escalate() {
  killGroup("SIGKILL");
  const stop = launch && launch.stopArgv;
  if (!Array.isArray(stop) || stop.length === 0 || !stop.every((x) => typeof x === "string")) return;
  try {
    const c = spawn(stop[0], stop.slice(1), { env: launch.env, stdio: "ignore", detached: true });
    c.on("error", (e) => process.stderr.write(`shim: cannot run ${stop[0]}: ${e && e.message}\n`));
    c.unref();
  } catch (e) {
    process.stderr.write(`shim: cannot run ${stop[0]}: ${e && e.message}\n`);
  }
}

for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(sig, () => {
    if (!child || child.pid === undefined) {
      pendingSignal = sig;
      return;
    }
    killGroup(sig);
    // Armed once: a repeated request must not put the SIGKILL off.
    if (killTimer === undefined) killTimer = setTimeout(escalate, graceMs());
  });
}

record.shimStart = startTimeOf(process.pid);
try {
  writeRecord();
} catch (e) {
  process.stderr.write(`shim: cannot write ${recordPath}: ${e && e.message}\n`);
}

/** Errors of the command itself (missing, not executable): the task's, not the platform's. */
const COMMAND_ERRORS = new Set(["ENOENT", "EACCES", "ENOEXEC", "ENOTDIR", "EISDIR", "ELOOP", "ENAMETOOLONG"]);

/** Bounds what is read of launch.json before its size is known. */
const MAX_LAUNCH_BYTES = 64 * 1024 * 1024;

/** The launch description, deleted whether or not it can be used: it may hold secrets. */
function readLaunch() {
  const launchPath = path.join(controlDir, "launch.json");
  let fd;
  try {
    fd = fs.openSync(launchPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW || 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_LAUNCH_BYTES) throw new Error(`not a file of at most ${MAX_LAUNCH_BYTES} bytes`);
    const l = JSON.parse(fs.readFileSync(fd, "utf8"));
    const argvOk = l && Array.isArray(l.argv) && l.argv.length > 0 && l.argv.every((x) => typeof x === "string");
    if (!argvOk || !l.env || typeof l.env !== "object") throw new Error("no command and environment in it");
    return l;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    try {
      fs.rmSync(launchPath, { force: true });
    } catch (e) {
      process.stderr.write(`shim: cannot delete ${launchPath}: ${e && e.message}\n`);
    }
  }
}

try {
  launch = readLaunch();
} catch (e) {
  process.stderr.write(`shim: cannot read the launch description: ${e && e.message}\n`);
  finish({ exitCode: 127, signal: null, error: "launch description unreadable", launchFault: true });
}
if (pendingSignal) finish({ exitCode: null, signal: pendingSignal, error: "terminated before start" });

const oomAtStart = oomKills();
try {
  child = spawn(launch.argv[0], launch.argv.slice(1), { cwd: dir, env: launch.env, stdio: "inherit", detached: true });
} catch (e) {
  process.stderr.write(`shim: cannot start ${launch.argv[0]}: ${e && e.message}\n`);
  finish({ exitCode: 127, signal: null, error: String(e && e.message), launchFault: true });
}
if (child.pid !== undefined) {
  // Read now, before the event loop can reap the child: the pid is still this child's.
  record = { ...record, pid: child.pid, pgid: child.pid, startTime: startTimeOf(child.pid), startedAt: new Date().toISOString() };
  try {
    writeRecord();
  } catch (e) {
    process.stderr.write(`shim: cannot write ${recordPath}: ${e && e.message}\n`);
  }
  if (pendingSignal) killGroup(pendingSignal);
}
child.on("error", (e) => {
  // Raised when the command cannot be executed (not found, not executable).
  process.stderr.write(`shim: cannot start ${launch.argv[0]}: ${e && e.message}\n`);
  if (child.pid === undefined) finish({ exitCode: 127, signal: null, error: String(e && e.message), ...(COMMAND_ERRORS.has(e && e.code) ? {} : { launchFault: true }) });
});
child.on("exit", (code, signal) => {
  killGroup("SIGKILL");
  const oomAtEnd = oomKills();
  const oomKilled = signal === "SIGKILL" && oomAtStart !== undefined && oomAtEnd !== undefined && oomAtEnd > oomAtStart;
  finish({ exitCode: code, signal: signal ?? null, ...(oomKilled ? { oomKilled: true } : {}) });
});

import { rmSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { NodeExecutionClosureSchema, NodeExecutionMetaDataSchema } from "../gen/flyteidl/admin/node_execution_pb.js";
import { TaskExecutionClosureSchema } from "../gen/flyteidl/admin/task_execution_pb.js";
import { NodeExecution_Phase as NodePhase, TaskExecution_Phase as TaskPhase } from "../gen/flyteidl/core/execution_pb.js";
import { openSqlite } from "../src/storage/sqlite.js";
import { DOMAIN, PROJECT, WORKFLOW_NODES } from "./payloads.js";

/**
 * What this machine allows for the event pattern without a server: the same
 * rows (one node execution insert and two updates, one task attempt insert and
 * one update per node) written by better-sqlite3 in this process, one
 * autocommit statement per event as the server commits one transaction per
 * event, on the real schema with the server's pragmas. Returns events/s.
 */
export function rawEventInserts(dir: string, executions: number): { events: number; seconds: number; perSecond: number } {
  const file = join(dir, "baseline.db");
  void openSqlite(file).close(); // creates the schema through the real migrations
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const now = Date.now();
  const ts = timestampFromDate(new Date(now));
  const nodeClosure = (phase: NodePhase) =>
    Buffer.from(toBinary(NodeExecutionClosureSchema, create(NodeExecutionClosureSchema, { phase, createdAt: ts, updatedAt: ts, startedAt: ts, outputResult: { case: "outputUri", value: "s3://bench-bucket/metadata/propeller/x/n0/data/0/outputs.pb" } })));
  const taskClosure = (phase: TaskPhase) =>
    Buffer.from(toBinary(TaskExecutionClosureSchema, create(TaskExecutionClosureSchema, { phase, createdAt: ts, updatedAt: ts, startedAt: ts, taskType: "python-task", logs: [{ name: "Kubernetes Logs", uri: "http://logs/x/n0" }] })));
  const metadata = Buffer.from(toBinary(NodeExecutionMetaDataSchema, create(NodeExecutionMetaDataSchema, { specNodeId: "n0" })));
  const insertNode = db.prepare(
    `insert into node_executions (project, domain, name, node_id, phase, closure, metadata, input_uri, event_version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, 2, ?, ?)`,
  );
  const updateNode = db.prepare(
    `update node_executions set phase = ?, closure = ?, metadata = ?, started_at = ?, updated_at = ?
     where project = ? and domain = ? and name = ? and node_id = ? and phase = ?`,
  );
  const insertTask = db.prepare(
    `insert into task_executions (project, domain, name, version, execution_project, execution_domain, execution_name, node_id, retry_attempt, phase, phase_version, input_uri, closure, started_at, created_at, updated_at)
     values (?, ?, ?, 'v1', ?, ?, ?, ?, 0, ?, 0, ?, ?, ?, ?, ?)`,
  );
  const updateTask = db.prepare(
    `update task_executions set phase = ?, closure = ?, updated_at = ?
     where execution_project = ? and execution_domain = ? and execution_name = ? and node_id = ? and retry_attempt = 0
       and project = ? and domain = ? and name = ? and version = 'v1' and phase = ?`,
  );
  const queued = nodeClosure(NodePhase.QUEUED);
  const running = nodeClosure(NodePhase.RUNNING);
  const succeeded = nodeClosure(NodePhase.SUCCEEDED);
  const taskRunning = taskClosure(TaskPhase.RUNNING);
  const taskSucceeded = taskClosure(TaskPhase.SUCCEEDED);
  let events = 0;
  const started = performance.now();
  for (let e = 0; e < executions; e++) {
    const name = `raw-${e}`;
    for (let n = 0; n < WORKFLOW_NODES; n++) {
      const node = `n${n}`;
      const task = `bench.tasks.step_${n}`;
      insertNode.run(PROJECT, DOMAIN, name, node, "QUEUED", queued, metadata, `s3://bench-bucket/${name}/${node}/inputs.pb`, now, now);
      updateNode.run("RUNNING", running, metadata, now, now, PROJECT, DOMAIN, name, node, "QUEUED");
      insertTask.run(PROJECT, DOMAIN, task, PROJECT, DOMAIN, name, node, "RUNNING", `s3://bench-bucket/${name}/${node}/inputs.pb`, taskRunning, now, now, now);
      updateTask.run("SUCCEEDED", taskSucceeded, now, PROJECT, DOMAIN, name, node, PROJECT, DOMAIN, task, "RUNNING");
      updateNode.run("SUCCEEDED", succeeded, metadata, now, now, PROJECT, DOMAIN, name, node, "RUNNING");
      events += 5;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  return { events, seconds, perSecond: events / seconds };
}

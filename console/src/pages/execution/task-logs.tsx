import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { TaskLog } from "../../../../gen/flyteidl/core/execution_pb.js";

const ENGINE_LOGS = "/engine/logs/";
/** The tail of a log shown inline; the link opens the whole of it. */
const TAIL_BYTES = 64 * 1024;

/** The local engine's log path from a link it wrote, read same-origin whatever host the link names. */
export function engineLogPath(uri: string): string | undefined {
  try {
    const url = new URL(uri, location.origin);
    return url.pathname.startsWith(ENGINE_LOGS) ? url.pathname : undefined;
  } catch {
    return undefined;
  }
}

/** A task attempt's log links; the local engine's logs can also be read here. */
export function TaskLogs({ logs, live }: { logs: TaskLog[]; live: boolean }) {
  if (logs.length === 0) return <p className="status empty">No logs for this attempt.</p>;
  return (
    <ul className="logs">
      {logs.map((log, i) => (
        <li key={i}>
          <LogLink log={log} live={live} />
        </li>
      ))}
    </ul>
  );
}

function LogLink({ log, live }: { log: TaskLog; live: boolean }) {
  const path = engineLogPath(log.uri);
  const [open, setOpen] = useState(false);
  const label = log.name || "log";
  return (
    <>
      <a href={path ?? log.uri} target="_blank" rel="noreferrer noopener">
        {label}
      </a>
      {path ? (
        <button type="button" className="link-button small" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "Hide" : "Show here"}
        </button>
      ) : null}
      {path && open ? <InlineLog path={path} live={live} label={label} /> : null}
    </>
  );
}

function InlineLog({ path, live, label }: { path: string; live: boolean; label: string }) {
  const log = useQuery({
    queryKey: ["engine-log", path],
    queryFn: async ({ signal }) => {
      const res = await fetch(path, { headers: { range: `bytes=-${TAIL_BYTES}` }, signal });
      if (res.status === 404) return "(no output yet)";
      if (res.status === 416) return "";
      if (!res.ok) throw new Error(`the log could not be read (HTTP ${res.status})`);
      return res.text();
    },
    refetchInterval: live ? 3_000 : false,
  });
  return (
    <pre className="log-view" aria-label={`${label} output`} tabIndex={0}>
      {log.error ? String(log.error.message) : (log.data ?? "Loading…")}
    </pre>
  );
}

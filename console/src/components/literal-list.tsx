import type { LiteralEntry, LiteralView } from "../lib/literal-view.js";

/** An inputs or outputs map as a definition list; nested lists and maps indent beneath their key. */
export function LiteralList({ entries, empty }: { entries: LiteralEntry[]; empty: string }) {
  if (entries.length === 0) return <p className="status empty">{empty}</p>;
  return (
    <dl className="literals">
      {entries.map((e) => (
        <LiteralRow key={e.key} label={e.key} view={e.value} />
      ))}
    </dl>
  );
}

function LiteralRow({ label, view }: { label: string; view: LiteralView }) {
  return (
    <div className="literal-row">
      <dt>
        <code>{label}</code>
      </dt>
      <dd>
        <LiteralValue view={view} />
      </dd>
    </div>
  );
}

export function LiteralValue({ view }: { view: LiteralView }) {
  switch (view.kind) {
    case "value":
      return (
        <span className="literal-value">
          <span className="mono">{view.text}</span> <span className="literal-type">{view.type}</span>
        </span>
      );
    case "link":
      return (
        <span className="literal-value">
          <span className="literal-type">{view.type}</span> <span className="mono uri">{view.uri}</span>
          {view.detail ? <span className="literal-type"> ({view.detail})</span> : null}
        </span>
      );
    case "json":
      return (
        <pre className="literal-json" aria-label={`${view.type} value`}>
          {view.text}
        </pre>
      );
    case "bytes":
      return (
        <span className="literal-value">
          <span className="literal-type">binary{view.tag ? ` (${view.tag})` : ""}, {view.size} bytes</span> <span className="mono">{view.preview}</span>
        </span>
      );
    case "error":
      return (
        <span className="literal-value error-text">
          error{view.nodeId ? ` from ${view.nodeId}` : ""}: {view.message}
        </span>
      );
    case "union":
      return (
        <span className="literal-value">
          <span className="literal-type">{view.variant}:</span> <LiteralValue view={view.value} />
        </span>
      );
    case "cut":
      return <span className="literal-type">({view.reason})</span>;
    case "list":
      return (
        <>
          <span className="literal-type">list of {view.items.length + view.omitted}</span>
          <ol className="literal-nested" start={0}>
            {view.items.map((item, i) => (
              <li key={i}>
                <LiteralValue view={item} />
              </li>
            ))}
            {view.omitted > 0 ? <li className="literal-type">… {view.omitted} more</li> : null}
          </ol>
        </>
      );
    case "map":
      return (
        <>
          <span className="literal-type">map of {view.entries.length + view.omitted}</span>
          <dl className="literals literal-nested">
            {view.entries.map((e) => (
              <LiteralRow key={e.key} label={e.key} view={e.value} />
            ))}
            {view.omitted > 0 ? <div className="literal-type">… {view.omitted} more</div> : null}
          </dl>
        </>
      );
  }
}

import { useRef, useState } from "react";
import { dataProxyClient } from "../../app/transport.js";
import { uploadFiles } from "./upload.js";

/** A button that uploads a file (or a folder) through the data proxy and hands back its URI. */
export function FileUpload({ target, directory, onUploaded }: { target: { project: string; domain: string }; directory: boolean; onUploaded: (uri: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const label = directory ? "Upload a folder" : "Upload a file";
  return (
    <span className="upload">
      <input
        ref={input}
        type="file"
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        {...(directory ? { webkitdirectory: "", multiple: true } : {})}
        onChange={async (e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = "";
          if (files.length === 0) return;
          setState({ busy: true });
          try {
            onUploaded(await uploadFiles(dataProxyClient, target, files, directory));
            setState({ busy: false });
          } catch (err) {
            setState({ busy: false, error: err instanceof Error ? err.message : String(err) });
          }
        }}
      />
      <button type="button" className="secondary" disabled={state.busy} onClick={() => input.current?.click()}>
        {state.busy ? "Uploading…" : label}
      </button>
      {state.error ? (
        <span className="field-error" role="alert">
          {state.error}
        </span>
      ) : null}
    </span>
  );
}

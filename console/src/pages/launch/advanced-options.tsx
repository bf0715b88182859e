import { useId } from "react";
import type { LaunchOptions, OptionErrors } from "../../lib/launch-options.js";

/** The execution settings a launch may override, folded away until asked for (opened when one is wrong). */
export function AdvancedOptions({ options, errors, onChange }: { options: LaunchOptions; errors: OptionErrors; onChange: (o: LaunchOptions) => void }) {
  const id = useId();
  const set = <K extends keyof LaunchOptions>(key: K, value: LaunchOptions[K]) => onChange({ ...options, [key]: value });
  const hasErrors = Object.keys(errors).length > 0;
  const text = (key: "serviceAccount" | "rawOutputPrefix" | "maxParallelism", label: string, placeholder: string) => (
    <div className="form-field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        type="text"
        value={options[key]}
        placeholder={placeholder}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `${id}-${key}-error` : undefined}
        onChange={(e) => set(key, e.target.value)}
      />
      <Message id={`${id}-${key}-error`} text={errors[key]} />
    </div>
  );
  const pairs = (key: "labels" | "annotations", label: string) => (
    <div className="form-field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <textarea
        id={`${id}-${key}`}
        className="mono"
        rows={2}
        value={options[key]}
        placeholder="key=value, one per line"
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `${id}-${key}-error` : undefined}
        onChange={(e) => set(key, e.target.value)}
      />
      <Message id={`${id}-${key}-error`} text={errors[key]} />
    </div>
  );
  return (
    <details className="launch-advanced" open={hasErrors || undefined}>
      <summary>Advanced options</summary>
      {pairs("labels", "Labels")}
      {pairs("annotations", "Annotations")}
      {text("serviceAccount", "Service account", "the project's default")}
      {text("rawOutputPrefix", "Raw output data prefix", "e.g. s3://bucket/outputs")}
      {text("maxParallelism", "Max parallelism", "the default (25)")}
      <div className="form-field">
        <label htmlFor={`${id}-interruptible`}>Interruptible</label>
        <select id={`${id}-interruptible`} value={options.interruptible} onChange={(e) => set("interruptible", e.target.value as LaunchOptions["interruptible"])}>
          <option value="">as the tasks declare</option>
          <option value="true">yes</option>
          <option value="false">no</option>
        </select>
      </div>
      <label className="inline-check">
        <input type="checkbox" checked={options.overwriteCache} onChange={(e) => set("overwriteCache", e.target.checked)} />
        Overwrite cached outputs
      </label>
    </details>
  );
}

function Message({ id, text }: { id: string; text: string | undefined }) {
  return text ? (
    <p id={id} className="field-error" role="alert">
      {text}
    </p>
  ) : null;
}

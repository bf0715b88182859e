import { useId } from "react";
import { BlobType_BlobDimensionality } from "../../../../gen/flyteidl/core/types_pb.js";
import type { FieldShape } from "../../lib/form-shape.js";
import { emptyValue, type FieldValue, type FormField, isKeptValue, isRecordValue, isUnionValue } from "../../lib/launch-form.js";
import { literalToJson } from "../../lib/literal-json.js";
import { FileUpload } from "./file-upload.js";

const PLACEHOLDERS: Partial<Record<FieldShape["kind"], string>> = {
  integer: "e.g. 42",
  float: "e.g. 3.14",
  datetime: "e.g. 2024-01-02T03:04:05Z",
  duration: "e.g. 1h30m or 45s",
  collection: "JSON list, e.g. [1, 2, 3]",
  map: 'JSON object, e.g. {"key": 1}',
  struct: 'JSON object, e.g. {"x": 1}',
  blob: "s3://bucket/key, or upload a file",
  structuredDataset: "s3://bucket/dataset.parquet",
  schema: "s3://bucket/schema",
};

export interface UploadTarget {
  project: string;
  domain: string;
}

/** One input of the launch form: a label with the type, the control for its kind, and its message. */
export function InputField({ field, value, error, onChange, upload }: { field: FormField; value: FieldValue; error?: string; onChange: (v: FieldValue) => void; upload: UploadTarget }) {
  const id = useId();
  const hint = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = [field.description && field.description !== field.name ? hint : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`form-field${error ? " invalid" : ""}`}>
      <label htmlFor={id}>
        <span className="field-name mono">{field.name}</span>
        <span className="field-type">{field.label}</span>
        {field.required ? <span className="field-required">required</span> : null}
        {field.fixed ? <span className="field-required">fixed by the launch plan</span> : null}
      </label>
      {field.fixed ? (
        <output id={id} className="mono fixed-value">
          {JSON.stringify(isKeptValue(value) ? literalToJson(value.kept) : value)}
        </output>
      ) : (
        <Control id={id} shape={field} value={value} onChange={onChange} described={described} invalid={!!error} upload={upload} />
      )}
      {described?.includes(hint) ? (
        <p id={hint} className="field-hint">
          {field.description}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

interface ControlProps {
  id: string;
  shape: FieldShape;
  value: FieldValue;
  onChange: (v: FieldValue) => void;
  described: string | undefined;
  invalid: boolean;
  upload: UploadTarget;
}

function Control({ id, shape, value, onChange, described, invalid, upload }: ControlProps) {
  const aria = { "aria-describedby": described, "aria-invalid": invalid || undefined };
  if (isKeptValue(value)) {
    return (
      <div className="kept">
        <p id={id} className="field-hint">
          {value.note}
        </p>
        {shape.kind !== "unsupported" ? (
          <button type="button" className="secondary" onClick={() => onChange(emptyValue(shape))}>
            Replace the value
          </button>
        ) : null}
      </div>
    );
  }
  if (isUnionValue(value)) {
    const variant = shape.variants?.[value.variant];
    return (
      <div className="union">
        <select id={id} {...aria} value={value.variant} onChange={(e) => onChange({ variant: Number(e.target.value), value: emptyValue(shape.variants![Number(e.target.value)]!) })}>
          {shape.variants?.map((v, i) => (
            <option key={i} value={i}>
              {v.kind === "none" ? "None" : v.label}
            </option>
          ))}
        </select>
        {variant && variant.kind !== "none" ? (
          <Control id={`${id}-value`} shape={variant} value={value.value} onChange={(v) => onChange({ variant: value.variant, value: v })} described={described} invalid={invalid} upload={upload} />
        ) : null}
      </div>
    );
  }
  if (isRecordValue(value) && shape.fields) {
    // A dataclass with known fields: a control per field, each as the form would draw that type.
    return (
      <fieldset id={id} className="sub-form" tabIndex={-1} aria-describedby={described} aria-invalid={invalid || undefined}>
        <legend className="visually-hidden">Fields of {shape.label}</legend>
        {shape.fields.map((f) => (
          <div key={f.name} className="sub-field">
            <label htmlFor={`${id}-${f.name}`}>
              <span className="field-name mono">{f.name}</span>
              <span className="field-type">{f.shape.label}</span>
              {f.required ? <span className="field-required">required</span> : null}
            </label>
            <Control
              id={`${id}-${f.name}`}
              shape={f.shape}
              value={value.fields[f.name] ?? emptyValue(f.shape)}
              onChange={(v) => onChange({ fields: { ...value.fields, [f.name]: v } })}
              described={undefined}
              invalid={false}
              upload={upload}
            />
          </div>
        ))}
      </fieldset>
    );
  }
  if (shape.kind === "none") return <output id={id}>None</output>;
  if (typeof value === "boolean" || shape.kind === "boolean") {
    return <input id={id} type="checkbox" {...aria} checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  }
  const text = typeof value === "string" ? value : "";
  switch (shape.kind) {
    case "enum":
      return (
        <select id={id} {...aria} value={text} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose…</option>
          {shape.values?.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      );
    case "collection":
    case "map":
    case "struct":
      return <textarea id={id} {...aria} className="mono" rows={Math.min(12, Math.max(3, text.split("\n").length))} value={text} placeholder={PLACEHOLDERS[shape.kind]} spellCheck={false} onChange={(e) => onChange(e.target.value)} />;
    case "blob":
      return (
        <div className="uri-input">
          <input id={id} type="text" {...aria} value={text} placeholder={PLACEHOLDERS.blob} onChange={(e) => onChange(e.target.value)} />
          <FileUpload target={upload} directory={shape.type.type.case === "blob" && shape.type.type.value.dimensionality === BlobType_BlobDimensionality.MULTIPART} onUploaded={(uri) => onChange(uri)} />
        </div>
      );
    default:
      return (
        <input
          id={id}
          type="text"
          {...aria}
          inputMode={shape.kind === "integer" ? "numeric" : shape.kind === "float" ? "decimal" : undefined}
          value={text}
          placeholder={PLACEHOLDERS[shape.kind]}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
}

/** A labelled input whose error, when there is one, sits right under it and is tied to it. */
import type { ReactNode } from "react";

export interface FieldProps {
  readonly id: string;
  readonly label: ReactNode;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly error?: string | undefined;
  readonly type?: "text" | "number" | "datetime-local";
  /** A textarea instead of an input. */
  readonly multiline?: boolean;
  readonly step?: string;
  readonly min?: string;
  readonly max?: string;
  readonly hint?: string;
}

export function Field({ id, label, value, onChange, error, type = "text", multiline, step, min, max, hint }: FieldProps) {
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  const shared = {
    id,
    name: id,
    value,
    ...(describedBy ? { "aria-describedby": describedBy } : {}),
    ...(error ? { "aria-invalid": true as const } : {}),
  };
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={`${id}-hint`} className="muted">
          {hint}
        </p>
      ) : null}
      {multiline ? (
        <textarea {...shared} rows={2} cols={40} onChange={(event) => onChange(event.target.value)} />
      ) : (
        <input {...shared} type={type} {...(step ? { step } : {})} {...(min ? { min } : {})} {...(max ? { max } : {})} onChange={(event) => onChange(event.target.value)} />
      )}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

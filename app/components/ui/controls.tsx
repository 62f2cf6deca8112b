import { type FieldMetadata, getInputProps, getSelectProps, getTextareaProps } from "@conform-to/react";
import type { ReactNode } from "react";
import { Field, inputClass } from "./field";

/** Conform-wired controls with their label, hint and errors. */

export function TextField({
  field,
  label,
  hint,
  type = "text",
  list,
  autoComplete = "off",
}: {
  field: FieldMetadata<string | number | undefined>;
  label: ReactNode;
  hint?: ReactNode;
  type?: "text" | "date" | "number";
  list?: string;
  autoComplete?: string;
}) {
  return (
    <Field label={label} id={field.id} errors={field.errors} hint={hint}>
      <input
        {...getInputProps(field, { type, ariaDescribedBy: hint ? `${field.id}-hint` : undefined })}
        list={list}
        autoComplete={autoComplete}
        className={inputClass}
      />
    </Field>
  );
}

export function TextArea({
  field,
  label,
  hint,
  rows = 8,
}: {
  field: FieldMetadata<string | undefined>;
  label: ReactNode;
  hint?: ReactNode;
  rows?: number;
}) {
  return (
    <Field label={label} id={field.id} errors={field.errors} hint={hint}>
      <textarea
        {...getTextareaProps(field, { ariaDescribedBy: hint ? `${field.id}-hint` : undefined })}
        rows={rows}
        className={`${inputClass} font-mono text-sm`}
      />
    </Field>
  );
}

export function SelectField({
  field,
  label,
  options,
  hint,
}: {
  field: FieldMetadata<string | undefined>;
  label: ReactNode;
  options: Record<string, string>;
  hint?: ReactNode;
}) {
  return (
    <Field label={label} id={field.id} errors={field.errors} hint={hint}>
      <select
        {...getSelectProps(field, { ariaDescribedBy: hint ? `${field.id}-hint` : undefined })}
        className={inputClass}
      >
        {Object.entries(options).map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </Field>
  );
}

export const ALIASES_HINT =
  "Other names [[links]] may use, separated by commas, e.g. The Duke, Aldric. When you rename, the old name is kept here so links to it keep working.";

export const MARKDOWN_HINT =
  "Markdown: # headings, **bold**, *italic*, - lists, | tables |, [links](https://…), and [[Name]] or [[Name|shown text]] to link another entry or character.";

/** On an edit form: renaming keeps the old name for `[[links]]` unless the GM ticks this. */
export function ForgetOldNameCheckbox() {
  return (
    <label className="flex min-h-11 items-start gap-3 text-sm">
      <input type="checkbox" name="forgetOldName" className="mt-0.5 size-5 shrink-0" />
      <span>Renaming? Forget the old name (links to it stop working). Tick this if the old name is a secret.</span>
    </label>
  );
}

import type { ReactNode } from "react";
import { Form } from "react-router";
import { inputClass } from "./field";

/** A GET form of filters: works without JavaScript, and its URL can be shared. */
export function FilterForm({ children, submitLabel = "Filter" }: { children: ReactNode; submitLabel?: string }) {
  return (
    <Form method="get" className="mb-6 flex flex-col gap-2 sm:flex-row sm:items-end">
      {children}
      <button
        type="submit"
        className="min-h-11 rounded-md border border-stone-400 bg-white px-4 font-medium hover:bg-stone-100"
      >
        {submitLabel}
      </button>
    </Form>
  );
}

export function FilterSelect({
  id,
  name,
  label,
  value,
  options,
}: {
  id: string;
  name: string;
  label: string;
  value: string;
  options: [value: string, label: string][];
}) {
  return (
    <div>
      <label htmlFor={id} className="block font-medium text-sm">
        {label}
      </label>
      <select id={id} name={name} defaultValue={value} className={inputClass}>
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </div>
  );
}

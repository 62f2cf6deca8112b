import type { ReactNode } from "react";
import { Link } from "react-router";

/**
 * Shown when a save was refused because the record changed elsewhere. Lists the saved
 * version beside the person's own (which stays in the form below), and says how to choose.
 */
export function ConflictNotice({
  fields,
  discardHref,
}: {
  fields: { label: string; saved: ReactNode }[];
  discardHref: string;
}) {
  return (
    <section
      role="alert"
      aria-labelledby="conflict-heading"
      className="mb-6 space-y-3 rounded-lg border-2 border-amber-500 bg-amber-50 p-4"
    >
      <h2 id="conflict-heading" className="font-serif text-xl font-semibold">
        This was changed somewhere else
      </h2>
      <p>
        Someone (perhaps you, in another tab or on another device) saved a newer version while you were editing. Nothing
        was overwritten. Your version is still in the form below; the saved version is:
      </p>
      <dl className="grid gap-2 rounded-md bg-white p-3 sm:grid-cols-[10rem_1fr]">
        {fields.map((field) => (
          <div key={field.label} className="contents">
            <dt className="font-medium">{field.label}</dt>
            <dd className="whitespace-pre-wrap break-words text-stone-800">{field.saved || <em>(empty)</em>}</dd>
          </div>
        ))}
      </dl>
      <p>
        To keep <strong>your</strong> version, press <strong>Save mine anyway</strong> below. To keep the{" "}
        <strong>saved</strong> version,{" "}
        <Link to={discardHref} reloadDocument className="font-medium text-ember-700 underline">
          discard your changes
        </Link>
        .
      </p>
    </section>
  );
}

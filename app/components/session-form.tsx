import { getCollectionProps, getFormProps, type SubmissionResult, useForm } from "@conform-to/react";
import { Form, Link, useNavigation } from "react-router";
import { SECRET_BLOCK_HINT } from "~/lib/members";
import {
  MAX_ATTENDEES,
  MAX_GUESTS,
  type RecapProvider,
  type RecapSource,
  recapProviderLabels,
  sessionAudienceLabels,
  sessionSchema,
} from "~/lib/session-schemas";
import { Button } from "./ui/button";
import { MARKDOWN_HINT, SelectField, TextArea, TextField } from "./ui/controls";
import { FieldErrors, FormErrors } from "./ui/field";
import { schemaValidation } from "./ui/form-kit";

/** What the session form shows: strings, as the browser sends them. */
export interface SessionFormValues {
  number: string;
  playedOn: string;
  title: string;
  attendeeIds: string[];
  guests: string;
  notes: string;
  recap: string;
  audience: string;
}

export interface DraftShown {
  provider: RecapProvider;
  notice: string | null;
  audience: "gm" | "campaign";
  sources: RecapSource[];
}

/**
 * A session's form (new and edit): number, day, title, who was there (the campaign's
 * player characters, and guests), the GMs' notes, the recap and who may read it. On an
 * existing session, "Draft recap" sends the same form to be drafted from (nothing is saved).
 */
export function SessionForm({
  defaultValue,
  playerCharacters,
  lastResult,
  version,
  submitLabel,
  conflict = false,
  mayDraft = false,
  draft = null,
}: {
  defaultValue: SessionFormValues;
  playerCharacters: { id: number; name: string }[];
  lastResult?: SubmissionResult<string[]> | null;
  version?: number;
  submitLabel: string;
  conflict?: boolean;
  mayDraft?: boolean;
  draft?: DraftShown | null;
}) {
  const [form, fields] = useForm({
    id: "session",
    lastResult,
    defaultValue,
    ...schemaValidation(sessionSchema),
  });
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const options = playerCharacters.map((pc) => String(pc.id));
  const names = new Map(playerCharacters.map((pc) => [String(pc.id), pc.name]));
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-5">
      {version ? <input type="hidden" name="version" value={version} /> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <div className="grid gap-4 sm:grid-cols-[8rem_12rem_1fr]">
        <TextField field={fields.number} label="Number" type="number" />
        <TextField field={fields.playedOn} label="Played on" type="date" />
        <TextField field={fields.title} label="Title (optional)" hint="e.g. The siege of the mill." />
      </div>
      <fieldset
        aria-describedby={fields.attendeeIds.errors ? fields.attendeeIds.errorId : undefined}
        className="space-y-1"
      >
        <legend className="font-medium text-sm">Who was there</legend>
        {options.length ? (
          <ul className="grid gap-x-4 sm:grid-cols-2">
            {getCollectionProps(fields.attendeeIds, { type: "checkbox", options }).map(({ key, ...props }) => (
              <li key={key}>
                <label htmlFor={props.id} className="flex min-h-11 items-center gap-3">
                  <input {...props} className="size-5 shrink-0" />
                  <span className="break-words">{names.get(props.value) ?? props.value}</span>
                </label>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-stone-700">
            No player characters yet. Add them under Characters (as “Player character”) to tick who was there.
          </p>
        )}
        {options.length > 0 ? (
          <p className="text-sm text-stone-600">The campaign’s player characters; up to {MAX_ATTENDEES}.</p>
        ) : null}
        <FieldErrors id={fields.attendeeIds.errorId} errors={fields.attendeeIds.errors} />
      </fieldset>
      <TextField
        field={fields.guests}
        label="Guests (optional)"
        hint={`Anyone else at the table, separated by commas; up to ${MAX_GUESTS}.`}
      />
      <TextArea
        field={fields.notes}
        label="GM notes"
        hint={`For the GMs only, never shown to players. ${MARKDOWN_HINT} ${SECRET_BLOCK_HINT}`}
        rows={12}
      />
      <section aria-labelledby="recap-heading" className="space-y-3 rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="recap-heading" className="font-serif text-xl font-semibold">
          Recap
        </h2>
        {draft ? <DraftNotice draft={draft} /> : null}
        <TextArea
          field={fields.recap}
          label="Recap"
          hint="What happened, for the players once you share it. [n] cites the sources listed under it."
          rows={12}
        />
        <SelectField
          field={fields.audience}
          label="Who can read the session and its recap"
          options={sessionAudienceLabels}
          hint="GMs only until you share it. Players never see the notes."
        />
      </section>
      {/* Save comes first: pressing Enter in a field saves, it never drafts. */}
      <div className="space-y-2">
        <div className="flex flex-wrap gap-3">
          <Button type="submit" name="intent" value="save" pending={busy === "save"}>
            {busy === "save" ? "Saving…" : conflict ? "Save mine anyway" : submitLabel}
          </Button>
          {mayDraft ? (
            <Button type="submit" name="intent" value="draft" variant="secondary" pending={busy === "draft"}>
              {busy === "draft" ? "Drafting…" : "Draft recap from the notes"}
            </Button>
          ) : null}
        </div>
        {mayDraft ? (
          <p className="text-sm text-stone-600">
            Drafting replaces the recap above with a draft from the notes and what they link, for who can read it.
            Nothing is saved until you save.
          </p>
        ) : null}
      </div>
    </Form>
  );
}

function DraftNotice({ draft }: { draft: DraftShown }) {
  return (
    <div role="status" className="space-y-2 rounded-md border-2 border-ember-600 bg-amber-50 p-3 text-sm">
      <p className="font-semibold">Drafted — not saved yet. Read it, change it, then save.</p>
      <p>
        {recapProviderLabels[draft.provider]}.{" "}
        {draft.audience === "campaign"
          ? "Drafted for everyone in the campaign: only shared entries and characters, and no secret blocks."
          : "Drafted for the GMs: GM-only entries may be quoted (secret blocks never are). Check it before you share it."}
      </p>
      {draft.notice ? <p>{draft.notice}</p> : null}
      <details>
        <summary className="min-h-11 cursor-pointer py-2 font-medium">Sources ({draft.sources.length})</summary>
        <ol className="list-decimal space-y-1 pl-6">
          {draft.sources.map((source) => (
            <li key={source.n}>
              <Link to={source.href} className="text-ember-700 underline">
                {source.title}
              </Link>
            </li>
          ))}
        </ol>
      </details>
    </div>
  );
}

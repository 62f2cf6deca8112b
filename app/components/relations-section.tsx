import { getFormProps, getInputProps, getSelectProps, type SubmissionResult, useForm } from "@conform-to/react";
import { Form, Link, useNavigation } from "react-router";
import { type Audience, audienceLabels } from "~/lib/members";
import {
  MAX_TARGET_OPTIONS,
  RELATION_LABEL_MAX,
  RELATION_NOTE_MAX,
  type RelationEndKind,
  relationEndValue,
  relationFormSchema,
  relationPhrases,
} from "~/lib/relations";
import { Button } from "./ui/button";
import { Field, FormErrors, inputClass } from "./ui/field";
import { schemaValidation } from "./ui/form-kit";

export interface RelationFromHereView {
  id: number;
  label: string;
  other: { kind: RelationEndKind; id: number; name: string; href: string };
  note: string;
  audience: Audience;
}

export interface RelationTargetsView {
  entries: { id: number; name: string }[];
  characters: { id: number; name: string }[];
  more: boolean;
}

/**
 * "Relations" on an entry's or character's page: each relation read from here (its label,
 * the other end, its note). Who may edit material also gets the add form and, per
 * relation, Remove and Share / Keep for GMs; everyone else reads what they may see.
 */
export function RelationsSection({
  name,
  here,
  relations,
  more,
  targets,
  lastResult,
  relationsHref,
}: {
  /** This page's entry or character, as the sentence's subject. */
  name: string;
  here: { kind: RelationEndKind; id: number };
  relations: RelationFromHereView[];
  more: boolean;
  /** The add form's choices; null when the reader may not edit. */
  targets: RelationTargetsView | null;
  lastResult?: SubmissionResult<string[]> | null;
  relationsHref: string;
}) {
  const mayEdit = targets !== null;
  if (!mayEdit && relations.length === 0) return null;
  return (
    <section
      aria-labelledby="relations-heading"
      className="mt-6 max-w-3xl space-y-3 rounded-lg border border-stone-300 bg-white p-4"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="relations-heading" className="font-serif text-xl font-semibold">
          Relations
        </h2>
        <Link to={relationsHref} className="text-ember-700 text-sm underline">
          All relations of the campaign
        </Link>
      </div>
      {relations.length ? (
        <ul className="divide-y divide-stone-200" aria-label={`Relations of ${name}`}>
          {relations.map((relation) => (
            <li key={relation.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <div className="min-w-0">
                <p className="break-words">
                  <span className="sr-only">{name} — </span>
                  <span className="font-medium text-stone-700">{relation.label}</span>{" "}
                  <span aria-hidden="true">→ </span>
                  <span className="sr-only">— </span>
                  <Link to={relation.other.href} className="text-ember-700 underline">
                    {relation.other.name}
                  </Link>
                  <span className="text-sm text-stone-600">
                    {" "}
                    ({relation.other.kind === "character" ? "character" : "entry"})
                  </span>
                  {mayEdit && relation.audience === "gm" ? (
                    <span className="ml-1 text-sm font-medium text-violet-800">· GMs only</span>
                  ) : null}
                </p>
                {relation.note ? <p className="text-sm text-stone-700 break-words">{relation.note}</p> : null}
              </div>
              {mayEdit ? <RelationControls relation={relation} /> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-stone-700">No relations yet.</p>
      )}
      {more ? <p className="text-sm text-stone-700">Only the first 500 are listed here.</p> : null}
      {targets ? (
        <AddRelationForm
          // A new key after each relation added or removed: the form starts empty again.
          key={`${relations.length}-${Math.max(0, ...relations.map((r) => r.id))}`}
          here={here}
          targets={targets}
          lastResult={lastResult}
        />
      ) : null}
    </section>
  );
}

function RelationControls({ relation }: { relation: RelationFromHereView }) {
  const shared = relation.audience === "campaign";
  return (
    <div className="flex flex-wrap gap-1">
      <Form method="post">
        <input type="hidden" name="intent" value="relation-audience" />
        <input type="hidden" name="relationId" value={relation.id} />
        <input type="hidden" name="audience" value={shared ? "gm" : "campaign"} />
        <Button type="submit" variant="ghost" className="text-sm underline">
          {shared ? "Keep for GMs" : "Share"}
          <span className="sr-only"> the relation with {relation.other.name}</span>
        </Button>
      </Form>
      <Form method="post">
        <input type="hidden" name="intent" value="unrelate" />
        <input type="hidden" name="relationId" value={relation.id} />
        <Button type="submit" variant="ghost" className="text-sm underline">
          Remove<span className="sr-only"> the relation with {relation.other.name}</span>
        </Button>
      </Form>
    </div>
  );
}

function AddRelationForm({
  here,
  targets,
  lastResult,
}: {
  here: { kind: RelationEndKind; id: number };
  targets: RelationTargetsView;
  lastResult?: SubmissionResult<string[]> | null;
}) {
  const navigation = useNavigation();
  const pending = navigation.state === "submitting" && navigation.formData?.get("intent") === "relate";
  const [form, fields] = useForm({
    id: "relation-add",
    lastResult,
    defaultValue: { phrase: "member_of", audience: "gm" },
    ...schemaValidation(relationFormSchema),
  });
  const others = (list: { id: number; name: string }[], kind: RelationEndKind) =>
    list.filter((item) => !(kind === here.kind && item.id === here.id));
  const entries = others(targets.entries, "entry");
  const characters = others(targets.characters, "character");
  if (!entries.length && !characters.length) {
    return <p className="text-stone-700">Add another entry or character to relate this one to it.</p>;
  }
  return (
    <Form
      method="post"
      {...getFormProps(form)}
      className="space-y-3 border-stone-200 border-t pt-3"
      aria-labelledby="relation-add-heading"
    >
      <h3 id="relation-add-heading" className="font-semibold">
        Add a relation
      </h3>
      <input type="hidden" name="intent" value="relate" />
      <FormErrors id={form.errorId} errors={form.errors} />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Relation (read from here)" id={fields.phrase.id} errors={fields.phrase.errors}>
          <select {...getSelectProps(fields.phrase)} className={inputClass}>
            {relationPhrases.map((phrase) => (
              <option key={phrase.value} value={phrase.value}>
                {phrase.text}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Related to"
          id={fields.target.id}
          errors={fields.target.errors}
          hint={
            targets.more
              ? `Only the first ${MAX_TARGET_OPTIONS} entries and characters by name are offered; relate the others from their own page.`
              : undefined
          }
        >
          <select {...getSelectProps(fields.target)} className={inputClass}>
            <option value="">Choose…</option>
            {entries.length ? (
              <optgroup label="Entries">
                {entries.map((entry) => (
                  <option key={`e${entry.id}`} value={relationEndValue({ kind: "entry", id: entry.id })}>
                    {entry.name}
                  </option>
                ))}
              </optgroup>
            ) : null}
            {characters.length ? (
              <optgroup label="Characters">
                {characters.map((character) => (
                  <option key={`c${character.id}`} value={relationEndValue({ kind: "character", id: character.id })}>
                    {character.name}
                  </option>
                ))}
              </optgroup>
            ) : null}
          </select>
        </Field>
      </div>
      <fieldset className="grid gap-3 rounded-md border border-stone-200 p-3 sm:grid-cols-2">
        <legend className="px-1 text-sm font-medium">Custom relation (when “Custom…” is chosen)</legend>
        <Field label="Label from here" id={fields.label.id} errors={fields.label.errors} hint="e.g. owes a favour to">
          <input
            {...getInputProps(fields.label, { type: "text", ariaDescribedBy: `${fields.label.id}-hint` })}
            maxLength={RELATION_LABEL_MAX}
            autoComplete="off"
            className={inputClass}
          />
        </Field>
        <Field
          label="Label from the other side"
          id={fields.inverseLabel.id}
          errors={fields.inverseLabel.errors}
          hint="e.g. is owed a favour by"
        >
          <input
            {...getInputProps(fields.inverseLabel, { type: "text", ariaDescribedBy: `${fields.inverseLabel.id}-hint` })}
            maxLength={RELATION_LABEL_MAX}
            autoComplete="off"
            className={inputClass}
          />
        </Field>
      </fieldset>
      <Field label="Note (optional)" id={fields.note.id} errors={fields.note.errors}>
        <input
          {...getInputProps(fields.note, { type: "text" })}
          maxLength={RELATION_NOTE_MAX}
          autoComplete="off"
          className={inputClass}
        />
      </Field>
      <div className="flex flex-wrap items-end justify-between gap-3">
        <Field label="Who can see this relation" id={fields.audience.id} errors={fields.audience.errors}>
          <select {...getSelectProps(fields.audience)} className={inputClass}>
            {Object.entries(audienceLabels).map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </Field>
        <Button type="submit" pending={pending}>
          Add relation
        </Button>
      </div>
      <p className="text-sm text-stone-600">Players see a shared relation only when they may see both of its ends.</p>
    </Form>
  );
}

import { getFormProps, getInputProps, getSelectProps, type SubmissionResult, useForm } from "@conform-to/react";
import { useEffect, useState } from "react";
import { Form } from "react-router";
import { characterSchema, playerCharacterSchema } from "~/lib/campaign-schemas";
import { type CharacterDetails, characterStatusLabels, characterTypeLabels } from "~/lib/domain";
import { audienceLabels, type PlayerEditableField, SECRET_BLOCK_HINT } from "~/lib/members";
import { ALIASES_HINT, ForgetOldNameCheckbox, MARKDOWN_HINT, SelectField, TextArea, TextField } from "./ui/controls";
import { Field, FieldErrors, FormErrors, inputClass } from "./ui/field";
import { SaveButton, SaveFields, schemaValidation } from "./ui/form-kit";

export interface CharacterFormValues {
  characterName: string;
  aliases?: string;
  characterType: string;
  status: string;
  playerName?: string;
  ancestry?: string;
  characterClass?: string;
  level?: string;
  alignment?: string;
  backstory: string;
  stats: { key: string; value: string }[];
  sheetFileKey?: string;
  audience?: string;
}

/** What the form needs of a saved character. */
interface SavedCharacter {
  characterName: string;
  aliases: string[];
  characterType: string;
  status: string;
  backstory: string;
  sheetFileKey: string | null;
  audience: string;
  details: CharacterDetails;
}

/** A saved character as the form's values. */
export function characterFormValues(character: SavedCharacter): CharacterFormValues {
  const { details } = character;
  return {
    characterName: character.characterName,
    aliases: character.aliases.join(", "),
    characterType: character.characterType,
    status: character.status,
    playerName: details.playerName,
    ancestry: details.ancestry,
    characterClass: details.characterClass,
    level: details.level === undefined ? undefined : String(details.level),
    alignment: details.alignment,
    backstory: character.backstory,
    stats: details.stats,
    sheetFileKey: character.sheetFileKey ?? undefined,
    audience: character.audience,
  };
}

/** Spare empty stat rows so the form works without JavaScript too. */
const SPARE_STAT_ROWS = 2;

export function CharacterForm({
  defaultValue,
  lastResult,
  version,
  submitLabel,
  conflict = false,
  sheetOptions,
  only,
}: {
  sheetOptions: { fileKey: string; fileName: string }[];
  /** A player's form: just the fields the GMs let them change. */
  only?: readonly PlayerEditableField[];
  defaultValue?: Partial<CharacterFormValues>;
  lastResult?: SubmissionResult<string[]> | null;
  version?: number;
  submitLabel: string;
  conflict?: boolean;
}) {
  const stats = defaultValue?.stats ?? [];
  const [form, fields] = useForm({
    id: "character",
    lastResult,
    defaultValue: {
      characterType: "npc",
      status: "alive",
      audience: "gm",
      ...defaultValue,
      stats: [...stats, ...Array.from({ length: SPARE_STAT_ROWS }, () => ({ key: "", value: "" }))],
    },
    ...schemaValidation(only ? playerCharacterSchema : characterSchema),
  });
  const shows = (part: PlayerEditableField) => !only || only.includes(part);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const statRows = fields.stats.getFieldList();
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4">
      <SaveFields version={version} />
      <FormErrors id={form.errorId} errors={form.errors} />
      {only ? null : (
        <>
          <TextField field={fields.characterName} label="Name" />
          <TextField field={fields.aliases} label="Also known as" hint={ALIASES_HINT} />
          {version ? <ForgetOldNameCheckbox /> : null}
        </>
      )}
      <div className="grid gap-4 sm:grid-cols-3">
        {only ? null : (
          <>
            <SelectField field={fields.characterType} label="PC or NPC" options={characterTypeLabels} />
            <SelectField field={fields.status} label="Status" options={characterStatusLabels} />
            {/* Only a PC has a player: without JavaScript the field stays, labelled so; with it, it hides for an NPC. */}
            <div hidden={hydrated && fields.characterType.value === "npc"}>
              <TextField
                field={fields.playerName}
                label="Player"
                hint="Player characters only: an NPC's is not saved."
              />
            </div>
          </>
        )}
        {shows("details") ? (
          <>
            <TextField field={fields.ancestry} label="Ancestry" />
            <TextField field={fields.characterClass} label="Class" />
            <TextField field={fields.level} label="Level" type="number" />
            <TextField field={fields.alignment} label="Alignment" />
          </>
        ) : null}
      </div>
      {shows("stats") ? (
        <fieldset className="space-y-2 rounded-lg border border-stone-300 p-3">
          <legend className="px-1 font-medium">Stats and details</legend>
          <p className="text-sm text-stone-600">Any name and value: AC 15, HP 27, Strength 16, Speaks Elvish…</p>
          <FieldErrors id={fields.stats.errorId} errors={fields.stats.errors} />
          <ul className="space-y-2">
            {statRows.map((row, index) => {
              const { key, value } = row.getFieldset();
              return (
                <li key={row.key} className="grid grid-cols-[1fr_1fr_auto] items-start gap-2">
                  <div>
                    <label htmlFor={key.id} className="sr-only">
                      Stat {index + 1} name
                    </label>
                    <input {...getInputProps(key, { type: "text" })} placeholder="Name" className={inputClass} />
                    <FieldErrors id={key.errorId} errors={key.errors} />
                  </div>
                  <div>
                    <label htmlFor={value.id} className="sr-only">
                      Stat {index + 1} value
                    </label>
                    <input {...getInputProps(value, { type: "text" })} placeholder="Value" className={inputClass} />
                    <FieldErrors id={value.errorId} errors={value.errors} />
                  </div>
                  <button
                    {...form.remove.getButtonProps({ name: fields.stats.name, index })}
                    className="min-h-11 min-w-11 rounded-md border border-stone-300 px-2 hover:bg-stone-100"
                    aria-label={`Remove stat ${index + 1}`}
                  >
                    ✕
                  </button>
                </li>
              );
            })}
          </ul>
          <button
            {...form.insert.getButtonProps({ name: fields.stats.name, defaultValue: { key: "", value: "" } })}
            className="min-h-11 rounded-md border border-stone-400 bg-white px-3 font-medium hover:bg-stone-100"
          >
            Add a stat
          </button>
        </fieldset>
      ) : null}
      {shows("backstory") ? (
        <TextArea
          field={fields.backstory}
          label="Backstory"
          hint={only ? MARKDOWN_HINT : `${MARKDOWN_HINT} ${SECRET_BLOCK_HINT}`}
          rows={10}
        />
      ) : null}
      {only ? null : (
        <>
          <SelectField
            field={fields.audience}
            label="Who can see this character"
            options={audienceLabels}
            hint="GMs only until you share it: players and viewers never see, search or get answers from it."
          />
          <Field
            label="Character sheet"
            id={fields.sheetFileKey.id}
            errors={fields.sheetFileKey.errors}
            hint="A file from your Library (a JSON sheet, a PDF, an image); a co-GM chooses from the campaign's files."
          >
            <select {...getSelectProps(fields.sheetFileKey)} className={inputClass}>
              <option value="">No sheet</option>
              {sheetOptions.map((file) => (
                <option key={file.fileKey} value={file.fileKey}>
                  {file.fileName}
                </option>
              ))}
            </select>
          </Field>
        </>
      )}
      <SaveButton label={submitLabel} conflict={conflict} />
    </Form>
  );
}

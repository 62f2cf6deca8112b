import { getFormProps, type SubmissionResult, useForm } from "@conform-to/react";
import { Form } from "react-router";
import { campaignSchema } from "~/lib/campaign-schemas";
import { campaignStatusLabels, gameSystemSuggestions } from "~/lib/domain";
import { MARKDOWN_HINT, SelectField, TextArea, TextField } from "./ui/controls";
import { FormErrors } from "./ui/field";
import { SaveButton, SaveFields, schemaValidation } from "./ui/form-kit";

export interface CampaignFormValues {
  name: string;
  description: string;
  status: string;
  system?: string;
  setting?: string;
  nextSessionAt?: string;
  tags: string;
}

/** Create and edit share this form; `version` is set when editing. */
export function CampaignForm({
  defaultValue,
  lastResult,
  version,
  submitLabel,
  conflict = false,
}: {
  defaultValue?: CampaignFormValues;
  lastResult?: SubmissionResult<string[]> | null;
  version?: number;
  submitLabel: string;
  conflict?: boolean;
}) {
  const [form, fields] = useForm({
    id: "campaign",
    lastResult,
    defaultValue: defaultValue ?? { status: "planning" },
    ...schemaValidation(campaignSchema),
  });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4">
      <SaveFields version={version} />
      <FormErrors id={form.errorId} errors={form.errors} />
      <TextField field={fields.name} label="Name" />
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField field={fields.status} label="Status" options={campaignStatusLabels} />
        <TextField field={fields.system} label="Game system" list="game-systems" hint="Type any system, or pick one." />
        <datalist id="game-systems">
          {gameSystemSuggestions.map((system) => (
            <option key={system} value={system} />
          ))}
        </datalist>
        <TextField field={fields.setting} label="Setting" hint="e.g. the Sword Coast, your own homebrew world." />
        <TextField field={fields.nextSessionAt} label="Next session" type="date" />
      </div>
      <TextField field={fields.tags} label="Tags" hint="Separate tags with commas, e.g. horror, sandbox." />
      <TextArea field={fields.description} label="Description" hint={MARKDOWN_HINT} rows={10} />
      <SaveButton label={submitLabel} conflict={conflict} />
    </Form>
  );
}

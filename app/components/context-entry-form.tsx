import { getFormProps, type SubmissionResult, useForm } from "@conform-to/react";
import { Form } from "react-router";
import { contextEntrySchema } from "~/lib/campaign-schemas";
import { contextTypeLabels } from "~/lib/domain";
import { audienceLabels, SECRET_BLOCK_HINT } from "~/lib/members";
import { ALIASES_HINT, ForgetOldNameCheckbox, MARKDOWN_HINT, SelectField, TextArea, TextField } from "./ui/controls";
import { FormErrors } from "./ui/field";
import { SaveButton, SaveFields, schemaValidation } from "./ui/form-kit";

export interface ContextEntryFormValues {
  contextType: string;
  title: string;
  content: string;
  tags: string;
  aliases: string;
  audience: string;
}

export function ContextEntryForm({
  defaultValue,
  lastResult,
  version,
  submitLabel,
  conflict = false,
}: {
  defaultValue?: Partial<ContextEntryFormValues>;
  lastResult?: SubmissionResult<string[]> | null;
  version?: number;
  submitLabel: string;
  conflict?: boolean;
}) {
  const [form, fields] = useForm({
    id: "context-entry",
    lastResult,
    defaultValue: { contextType: "lore", audience: "gm", ...defaultValue },
    ...schemaValidation(contextEntrySchema),
  });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4">
      <SaveFields version={version} />
      <FormErrors id={form.errorId} errors={form.errors} />
      <div className="grid gap-4 sm:grid-cols-[12rem_1fr]">
        <SelectField field={fields.contextType} label="Type" options={contextTypeLabels} />
        <TextField field={fields.title} label="Title" />
      </div>
      <TextArea field={fields.content} label="Content" hint={`${MARKDOWN_HINT} ${SECRET_BLOCK_HINT}`} rows={12} />
      <TextField field={fields.tags} label="Tags" hint="Separate tags with commas, e.g. undead, act 2." />
      <TextField field={fields.aliases} label="Also known as" hint={ALIASES_HINT} />
      {version ? <ForgetOldNameCheckbox /> : null}
      <SelectField
        field={fields.audience}
        label="Who can see this"
        options={audienceLabels}
        hint="GMs only until you share it: players and viewers never see, search or get answers from it."
      />
      <SaveButton label={submitLabel} conflict={conflict} />
    </Form>
  );
}

import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { useNavigation } from "react-router";
import type { z } from "zod";
import { Button } from "./button";

/** The validation every form here shares: the action's zod schema, run inline after blur. */
export function schemaValidation<S extends z.ZodType>(schema: S) {
  return {
    constraint: getZodConstraint(schema),
    shouldValidate: "onBlur" as const,
    shouldRevalidate: "onInput" as const,
    onValidate: ({ formData }: { formData: FormData }) => parseWithZod(formData, { schema }),
  };
}

/** Hidden fields of an edit form: what it does, and the version it started from. */
export function SaveFields({ version }: { version?: number }) {
  return (
    <>
      <input type="hidden" name="intent" value="save" />
      {version ? <input type="hidden" name="version" value={version} /> : null}
    </>
  );
}

/** Submit for a save: says when it is working, and what it will do after a conflict. */
export function SaveButton({ label, conflict = false }: { label: string; conflict?: boolean }) {
  const navigation = useNavigation();
  const pending = navigation.state === "submitting" && navigation.formData?.get("intent") === "save";
  return (
    <Button type="submit" pending={pending}>
      {pending ? "Saving…" : conflict ? "Save mine anyway" : label}
    </Button>
  );
}

import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, redirect, useNavigation, useSearchParams } from "react-router";
import { AuthCard } from "~/components/auth-card";
import { Button } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { MIN_PASSWORD_LENGTH, signupSchema } from "~/lib/auth-schemas";
import { AccountError, createAccount } from "~/server/auth/accounts.server";
import { issueRecoveryCodes } from "~/server/auth/recovery.server";
import { startSession } from "~/server/auth/sign-in.server";
import { rateLimitReply } from "~/server/http/rate-limits.server";
import { getRequestState, getServices, requireAnonymous, withinRequestLimit } from "~/server/request.server";
import type { Route } from "./+types/signup";

export const meta: Route.MetaFunction = () => [{ title: "Create your account — LoreSmith AI" }];

export function loader({ context }: Route.LoaderArgs) {
  requireAnonymous(context);
  return null;
}

export async function action({ request, context }: Route.ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: signupSchema });
  if (submission.status !== "success") {
    return data(submission.reply({ hideFields: ["password", "confirmPassword"] }), { status: 400 });
  }
  if (!(await withinRequestLimit(context, request, "auth"))) {
    const limited = rateLimitReply("auth");
    return data(
      submission.reply({ formErrors: [limited.message], hideFields: ["password", "confirmPassword"] }),
      limited.init,
    );
  }
  const state = getRequestState(context);
  const services = getServices(context);
  try {
    const user = await createAccount(services.db, submission.value.username, submission.value.password);
    // The codes go to the next page once (session flash), never into a URL.
    const recoveryCodes = await issueRecoveryCodes(services.db, user);
    const remember = submission.value.remember ?? false;
    const headers = await startSession(state, services, user, { remember, request, flash: { recoveryCodes } });
    // The welcome page shows the codes, then goes on to where sign-up started (an invite link).
    const next = submission.value.redirectTo;
    const welcome = new URLSearchParams({ welcome: "1", ...(next ? { next } : {}) });
    return redirect(`/settings/recovery-codes?${welcome}`, { headers });
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(
      submission.reply({ fieldErrors: { username: [error.message] }, hideFields: ["password", "confirmPassword"] }),
      { status: error.status },
    );
  }
}

export default function Signup({ actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get("redirectTo") ?? "";
  const [form, fields] = useForm({
    id: "signup",
    lastResult: actionData,
    ...schemaValidation(signupSchema),
  });
  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Already have one?{" "}
          <Link
            to={redirectTo ? `/login?${new URLSearchParams({ redirectTo })}` : "/login"}
            className="font-medium text-ember-700 underline"
          >
            Sign in
          </Link>
        </>
      }
    >
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors id={form.errorId} errors={form.errors} />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field
          label="Username"
          id={fields.username.id}
          errors={fields.username.errors}
          hint="3–32 characters: letters, digits, _ and -. It cannot be changed later."
        >
          <input
            {...getInputProps(fields.username, { type: "text", ariaDescribedBy: `${fields.username.id}-hint` })}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            className={inputClass}
          />
        </Field>
        <Field
          label="Password"
          id={fields.password.id}
          errors={fields.password.errors}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters. A phrase of a few words is easy to remember.`}
        >
          <input
            {...getInputProps(fields.password, { type: "password", ariaDescribedBy: `${fields.password.id}-hint` })}
            autoComplete="new-password"
            className={inputClass}
          />
        </Field>
        <Field label="Repeat the password" id={fields.confirmPassword.id} errors={fields.confirmPassword.errors}>
          <input
            {...getInputProps(fields.confirmPassword, { type: "password" })}
            autoComplete="new-password"
            className={inputClass}
          />
        </Field>
        <label className="flex min-h-11 items-center gap-3">
          <input {...getInputProps(fields.remember, { type: "checkbox" })} className="size-5" />
          <span>Keep me signed in for 30 days</span>
        </label>
        <Button type="submit" className="w-full" pending={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Creating your account…" : "Create account"}
        </Button>
      </Form>
    </AuthCard>
  );
}

import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, redirect, useNavigation } from "react-router";
import { AuthCard } from "~/components/auth-card";
import { Button } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { MIN_PASSWORD_LENGTH, recoverSchema } from "~/lib/auth-schemas";
import { AccountError, resetPasswordWithCode } from "~/server/auth/accounts.server";
import { attemptOrigin, closeDeviceSockets, startSession } from "~/server/auth/sign-in.server";
import { rateLimitReply } from "~/server/http/rate-limits.server";
import { getRequestState, getServices, requireAnonymous, withinRequestLimit } from "~/server/request.server";
import type { Route } from "./+types/recover";

export const meta: Route.MetaFunction = () => [{ title: "Recover your account — LoreSmith AI" }];

export function loader({ context }: Route.LoaderArgs) {
  requireAnonymous(context);
  return null;
}

/** A forgotten password: a recovery code (used up) sets a new one and signs in; every other device is signed out. */
export async function action({ request, context }: Route.ActionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: recoverSchema });
  const hideFields = ["code", "newPassword", "confirmPassword"];
  if (submission.status !== "success") return data(submission.reply({ hideFields }), { status: 400 });
  if (!(await withinRequestLimit(context, request, "auth"))) {
    const limited = rateLimitReply("auth");
    return data(submission.reply({ formErrors: [limited.message], hideFields }), limited.init);
  }
  const state = getRequestState(context);
  const services = getServices(context);
  try {
    const { username, code, newPassword } = submission.value;
    const reset = await resetPasswordWithCode(
      services.db,
      username,
      code,
      newPassword,
      await attemptOrigin(state, request),
    );
    await closeDeviceSockets(services, reset.user, reset.signedOut);
    const headers = await startSession(state, services, reset.user, { remember: false, request });
    return redirect("/settings?recovered=1", { headers });
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(submission.reply({ formErrors: [error.message], hideFields }), { status: error.status });
  }
}

export default function Recover({ actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  const [form, fields] = useForm({ id: "recover", lastResult: actionData, ...schemaValidation(recoverSchema) });
  return (
    <AuthCard
      title="Recover your account"
      footer={
        <>
          Remembered it?{" "}
          <Link to="/login" className="font-medium text-ember-700 underline">
            Sign in
          </Link>
        </>
      }
    >
      <p className="mb-4 text-stone-700">
        Enter one of the recovery codes you saved when you created your account, and choose a new password. The code is
        used up, and every device signed in to your account is signed out.
      </p>
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors id={form.errorId} errors={form.errors} />
        <Field label="Username" id={fields.username.id} errors={fields.username.errors}>
          <input
            {...getInputProps(fields.username, { type: "text" })}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            className={inputClass}
          />
        </Field>
        <Field
          label="Recovery code"
          id={fields.code.id}
          errors={fields.code.errors}
          hint="Like 7KQ2-M9XD-4H1T-8VRA. Dashes and case do not matter."
        >
          <input
            {...getInputProps(fields.code, { type: "text", ariaDescribedBy: `${fields.code.id}-hint` })}
            autoComplete="one-time-code"
            autoCapitalize="characters"
            spellCheck={false}
            className={`${inputClass} font-mono`}
          />
        </Field>
        <Field
          label="New password"
          id={fields.newPassword.id}
          errors={fields.newPassword.errors}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        >
          <input
            {...getInputProps(fields.newPassword, { type: "password" })}
            autoComplete="new-password"
            className={inputClass}
          />
        </Field>
        <Field label="Repeat the new password" id={fields.confirmPassword.id} errors={fields.confirmPassword.errors}>
          <input
            {...getInputProps(fields.confirmPassword, { type: "password" })}
            autoComplete="new-password"
            className={inputClass}
          />
        </Field>
        <Button type="submit" className="w-full" pending={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Checking…" : "Set the new password and sign in"}
        </Button>
      </Form>
    </AuthCard>
  );
}

import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, redirect, useNavigation, useSearchParams } from "react-router";
import { AuthCard } from "~/components/auth-card";
import { Button } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { loginSchema } from "~/lib/auth-schemas";
import { AccountError } from "~/server/auth/accounts.server";
import { createAuthenticator } from "~/server/auth/authenticator.server";
import { startSession } from "~/server/auth/sign-in.server";
import { rateLimitReply } from "~/server/http/rate-limits.server";
import { getRequestState, getServices, requireAnonymous, withinRequestLimit } from "~/server/request.server";
import type { Route } from "./+types/login";

export const meta: Route.MetaFunction = () => [{ title: "Sign in — LoreSmith AI" }];

export function loader({ context }: Route.LoaderArgs) {
  requireAnonymous(context);
  return null;
}

export async function action({ request, context }: Route.ActionArgs) {
  const submission = parseWithZod(await request.clone().formData(), { schema: loginSchema });
  if (submission.status !== "success") {
    return data(submission.reply({ hideFields: ["password"] }), { status: 400 });
  }
  if (!(await withinRequestLimit(context, request, "auth"))) {
    const limited = rateLimitReply("auth");
    return data(submission.reply({ formErrors: [limited.message], hideFields: ["password"] }), limited.init);
  }
  const state = getRequestState(context);
  const services = getServices(context);
  try {
    const { user, remember, redirectTo } = await createAuthenticator(services.db, state).authenticate("form", request);
    return redirect(redirectTo ?? "/home", {
      headers: await startSession(state, services, user, { remember, request }),
    });
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(submission.reply({ formErrors: [error.message], hideFields: ["password"] }), {
      status: error.status,
    });
  }
}

export default function Login({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: "login",
    lastResult: actionData,
    ...schemaValidation(loginSchema),
  });
  const signedOut = searchParams.get("signedOut") === "1";
  const redirectTo = searchParams.get("redirectTo") ?? "";
  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          New here?{" "}
          <Link
            to={redirectTo ? `/signup?${new URLSearchParams({ redirectTo })}` : "/signup"}
            className="font-medium text-ember-700 underline"
          >
            Create an account
          </Link>
          <span className="mt-2 block">
            Forgot your password?{" "}
            <Link to="/recover" className="font-medium text-ember-700 underline">
              Use a recovery code
            </Link>
          </span>
        </>
      }
    >
      {signedOut ? (
        <p role="status" className="mb-4 rounded-md bg-stone-100 p-3 text-sm">
          You are signed out.
        </p>
      ) : null}
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors id={form.errorId} errors={form.errors} />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Username" id={fields.username.id} errors={fields.username.errors}>
          <input
            {...getInputProps(fields.username, { type: "text" })}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            className={inputClass}
          />
        </Field>
        <Field label="Password" id={fields.password.id} errors={fields.password.errors}>
          <input
            {...getInputProps(fields.password, { type: "password" })}
            autoComplete="current-password"
            className={inputClass}
          />
        </Field>
        <label className="flex min-h-11 items-center gap-3">
          <input {...getInputProps(fields.remember, { type: "checkbox" })} className="size-5" />
          <span>Keep me signed in for 30 days</span>
        </label>
        <Button type="submit" className="w-full" pending={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Signing in…" : "Sign in"}
        </Button>
      </Form>
    </AuthCard>
  );
}

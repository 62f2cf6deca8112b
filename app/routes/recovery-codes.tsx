import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, redirect, useNavigation } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { Button, linkButtonClass } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { newRecoveryCodesSchema, redirectToSchema } from "~/lib/auth-schemas";
import { AccountError, confirmPassword } from "~/server/auth/accounts.server";
import { issueRecoveryCodes, remainingRecoveryCodes } from "~/server/auth/recovery.server";
import { attemptOrigin } from "~/server/auth/sign-in.server";
import { unknownIntent } from "~/server/http/responses.server";
import { getRequestState, getServices, requireUser } from "~/server/request.server";
import type { Route } from "./+types/recovery-codes";

export const meta: Route.MetaFunction = () => [{ title: "Recovery codes — LoreSmith AI" }];

/**
 * New recovery codes arrive here once (a session flash, read and cleared by this loader),
 * after sign-up or after asking for new ones; afterwards only how many are left shows.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const { store, session } = getRequestState(context);
  const codes = session.get("recoveryCodes") ?? null;
  const codesLeft = await remainingRecoveryCodes(getServices(context).db, user);
  const url = new URL(request.url);
  const welcome = url.searchParams.get("welcome") === "1";
  // After sign-up from an invite link, "continue" goes on to the invite.
  const next = redirectToSchema.parse(url.searchParams.get("next") ?? undefined) ?? "/home";
  const body = { codes, codesLeft, welcome, next, username: user.username };
  // Reading a flash removes it; committing makes that stick, so the codes show only once.
  return codes ? data(body, { headers: { "Set-Cookie": await store.commitSession(session) } }) : body;
}

export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  const formData = await request.formData();
  const intent = formData.get("intent");
  if (intent !== "new-recovery-codes") unknownIntent(intent);
  const submission = parseWithZod(formData, { schema: newRecoveryCodesSchema });
  if (submission.status !== "success") return data(submission.reply({ hideFields: ["password"] }), { status: 400 });
  const state = getRequestState(context);
  const { db } = getServices(context);
  try {
    await confirmPassword(db, user, submission.value.password, await attemptOrigin(state, request));
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(submission.reply({ fieldErrors: { password: [error.message] }, hideFields: ["password"] }), {
      status: error.status,
    });
  }
  state.session.flash("recoveryCodes", await issueRecoveryCodes(db, user));
  return redirect("/settings/recovery-codes", {
    headers: { "Set-Cookie": await state.store.commitSession(state.session) },
  });
}

export default function RecoveryCodes({ loaderData, actionData }: Route.ComponentProps) {
  const { codes, codesLeft, welcome, next, username } = loaderData;
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: "new-recovery-codes",
    lastResult: actionData,
    ...schemaValidation(newRecoveryCodesSchema),
  });
  return (
    <div className="max-w-2xl space-y-6">
      <PageHeader title={welcome ? `Welcome, ${username}` : "Recovery codes"}>
        {welcome ? "Your account is ready. One thing first, so you can never be locked out of your campaigns." : null}
      </PageHeader>
      {codes ? (
        <section aria-labelledby="codes-heading" className="rounded-lg border border-amber-400 bg-amber-50 p-5">
          <h2 id="codes-heading" className="mb-2 font-serif text-xl font-semibold">
            Save these recovery codes
          </h2>
          <p className="mb-4 text-stone-800">
            If you forget your password, any one of these lets you choose a new one. Each works once. Keep them
            somewhere safe — a password manager, or printed with your campaign notes. They are shown only now.
          </p>
          <ol className="grid gap-2 font-mono text-lg sm:grid-cols-2" aria-label="Your recovery codes">
            {codes.map((code) => (
              <li key={code} className="rounded border border-stone-300 bg-white px-3 py-2 tracking-wider">
                {code}
              </li>
            ))}
          </ol>
          <p className="mt-4">
            <Link to={next} className={linkButtonClass.primary}>
              I have saved them — continue
            </Link>
          </p>
        </section>
      ) : (
        <p className="text-stone-800">
          You have <strong>{codesLeft}</strong> unused recovery code{codesLeft === 1 ? "" : "s"}.{" "}
          {codesLeft < 3 ? "Make new ones before you run out." : null}
        </p>
      )}
      <section aria-labelledby="new-codes-heading" className="rounded-lg border border-stone-300 bg-white p-5">
        <h2 id="new-codes-heading" className="mb-2 font-serif text-xl font-semibold">
          Make new codes
        </h2>
        <p className="mb-4 text-stone-700">New codes replace all the old ones, used or not.</p>
        <Form method="post" {...getFormProps(form)} className="space-y-4">
          <input type="hidden" name="intent" value="new-recovery-codes" />
          <FormErrors id={form.errorId} errors={form.errors} />
          <Field label="Your password" id={fields.password.id} errors={fields.password.errors}>
            <input
              {...getInputProps(fields.password, { type: "password" })}
              autoComplete="current-password"
              className={inputClass}
            />
          </Field>
          <Button type="submit" pending={navigation.state === "submitting"}>
            {navigation.state === "submitting" ? "Making codes…" : "Make new recovery codes"}
          </Button>
        </Form>
      </section>
      <p>
        <Link to="/settings" className="text-ember-700 underline">
          Back to Settings
        </Link>
      </p>
    </div>
  );
}

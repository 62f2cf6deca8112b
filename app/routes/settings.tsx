import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, useNavigation, useSearchParams } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { Button } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { changePasswordSchema, deleteAccountSchema, MIN_PASSWORD_LENGTH } from "~/lib/auth-schemas";
import { AccountError, changePassword, deleteAccount } from "~/server/auth/accounts.server";
import { endSession, startSession } from "~/server/auth/sign-in.server";
import type { User } from "~/server/db/schema";
import { unknownIntent } from "~/server/http/responses.server";
import { clientId, getRequestState, getServices, requireUser } from "~/server/request.server";
import type { Route } from "./+types/settings";

export const meta: Route.MetaFunction = () => [{ title: "Settings — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  return { username: user.username, createdAt: user.createdAt };
}

export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  const formData = await request.formData();
  const intent = formData.get("intent");
  switch (intent) {
    case "change-password":
      return changePasswordAction(request, context, user, formData);
    case "delete-account":
      return deleteAccountAction(request, context, user, formData);
    default:
      unknownIntent(intent);
  }
}

async function changePasswordAction(
  request: Request,
  context: Route.ActionArgs["context"],
  user: User,
  form: FormData,
) {
  const intent = "change-password" as const;
  const submission = parseWithZod(form, { schema: changePasswordSchema });
  const hideFields = ["currentPassword", "newPassword", "confirmPassword"];
  if (submission.status !== "success") {
    return data({ intent, result: submission.reply({ hideFields }) }, { status: 400 });
  }
  const state = getRequestState(context);
  try {
    const updated = await changePassword(
      getServices(context).db,
      user.username,
      submission.value.currentPassword,
      submission.value.newPassword,
      clientId(request),
    );
    // New epoch: every other session is now void; this one is re-issued under a new id.
    return await startSession(state, updated, state.session.get("remember") ?? false, "/settings?passwordChanged=1");
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(
      { intent, result: submission.reply({ fieldErrors: { currentPassword: [error.message] }, hideFields }) },
      { status: error.status },
    );
  }
}

async function deleteAccountAction(request: Request, context: Route.ActionArgs["context"], user: User, form: FormData) {
  const intent = "delete-account" as const;
  const submission = parseWithZod(form, {
    schema: deleteAccountSchema.refine((value) => value.confirmUsername === user.username, {
      path: ["confirmUsername"],
      message: `Type your username, ${user.username}, to confirm.`,
    }),
  });
  if (submission.status !== "success") {
    return data({ intent, result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  }
  try {
    await deleteAccount(getServices(context), user.username, submission.value.password, clientId(request));
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(
      { intent, result: submission.reply({ fieldErrors: { password: [error.message] }, hideFields: ["password"] }) },
      { status: error.status },
    );
  }
  return endSession(getRequestState(context), "/?accountDeleted=1");
}

export default function Settings({ loaderData, actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const submittingIntent = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;

  const [passwordForm, passwordFields] = useForm({
    id: "change-password",
    lastResult: actionData?.intent === "change-password" ? actionData.result : undefined,
    ...schemaValidation(changePasswordSchema),
  });
  const [deleteForm, deleteFields] = useForm({
    id: "delete-account",
    lastResult: actionData?.intent === "delete-account" ? actionData.result : undefined,
    ...schemaValidation(deleteAccountSchema),
  });

  return (
    <>
      <PageHeader title="Settings">
        Signed in as <strong>{loaderData.username}</strong>, member since{" "}
        {new Date(loaderData.createdAt).toLocaleDateString("en", { dateStyle: "long" })}.
      </PageHeader>
      {searchParams.get("passwordChanged") === "1" ? (
        <p role="status" className="mb-6 rounded-md border border-green-300 bg-green-50 p-3 text-green-900">
          Your password was changed. Other devices have been signed out.
        </p>
      ) : null}

      <div className="grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="password-heading" className="rounded-lg border border-stone-300 bg-white p-5">
          <h2 id="password-heading" className="mb-4 font-serif text-xl font-semibold">
            Change password
          </h2>
          <Form method="post" {...getFormProps(passwordForm)} className="space-y-4">
            <input type="hidden" name="intent" value="change-password" />
            <FormErrors id={passwordForm.errorId} errors={passwordForm.errors} />
            <Field
              label="Current password"
              id={passwordFields.currentPassword.id}
              errors={passwordFields.currentPassword.errors}
            >
              <input
                {...getInputProps(passwordFields.currentPassword, { type: "password" })}
                autoComplete="current-password"
                className={inputClass}
              />
            </Field>
            <Field
              label="New password"
              id={passwordFields.newPassword.id}
              errors={passwordFields.newPassword.errors}
              hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
            >
              <input
                {...getInputProps(passwordFields.newPassword, { type: "password" })}
                autoComplete="new-password"
                className={inputClass}
              />
            </Field>
            <Field
              label="Repeat the new password"
              id={passwordFields.confirmPassword.id}
              errors={passwordFields.confirmPassword.errors}
            >
              <input
                {...getInputProps(passwordFields.confirmPassword, { type: "password" })}
                autoComplete="new-password"
                className={inputClass}
              />
            </Field>
            <Button type="submit" pending={submittingIntent === "change-password"}>
              {submittingIntent === "change-password" ? "Changing…" : "Change password"}
            </Button>
          </Form>
        </section>

        <section aria-labelledby="delete-heading" className="rounded-lg border border-red-300 bg-white p-5">
          <h2 id="delete-heading" className="mb-2 font-serif text-xl font-semibold text-red-800">
            Delete account
          </h2>
          <p className="mb-4 text-stone-700">
            This deletes your account and everything in it — campaigns, characters, uploaded files and conversations. It
            cannot be undone.
          </p>
          <Form method="post" {...getFormProps(deleteForm)} className="space-y-4">
            <input type="hidden" name="intent" value="delete-account" />
            <FormErrors id={deleteForm.errorId} errors={deleteForm.errors} />
            <Field
              label={
                <>
                  Type your username, <strong>{loaderData.username}</strong>, to confirm
                </>
              }
              id={deleteFields.confirmUsername.id}
              errors={deleteFields.confirmUsername.errors}
            >
              <input
                {...getInputProps(deleteFields.confirmUsername, { type: "text" })}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                className={inputClass}
              />
            </Field>
            <Field label="Your password" id={deleteFields.password.id} errors={deleteFields.password.errors}>
              <input
                {...getInputProps(deleteFields.password, { type: "password" })}
                autoComplete="current-password"
                className={inputClass}
              />
            </Field>
            <Button type="submit" variant="danger" pending={submittingIntent === "delete-account"}>
              {submittingIntent === "delete-account" ? "Deleting…" : "Delete my account"}
            </Button>
          </Form>
        </section>
      </div>
    </>
  );
}

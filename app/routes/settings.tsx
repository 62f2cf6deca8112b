import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, redirect, useNavigation, useSearchParams } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { ArchiveDownload } from "~/components/archive-download";
import { DeleteDisclosure } from "~/components/delete-disclosure";
import { Button, linkButtonClass } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { UsageBar } from "~/components/ui/usage-bar";
import {
  changePasswordSchema,
  deleteAccountSchema,
  MIN_PASSWORD_LENGTH,
  signOutDeviceSchema,
} from "~/lib/auth-schemas";
import { formatBytes, formatRelative, formatShare } from "~/lib/format";
import { AccountError, changePassword, deleteAccount } from "~/server/auth/accounts.server";
import { listDevices, removeDevice, removeOtherDevices } from "~/server/auth/devices.server";
import { remainingRecoveryCodes } from "~/server/auth/recovery.server";
import { attemptOrigin, closeDeviceSockets, endSession, startSession } from "~/server/auth/sign-in.server";
import type { User } from "~/server/db/schema";
import { type StorageUsage, storageUsage } from "~/server/files/usage.server";
import { deleteOldVersions } from "~/server/files/version-retention.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { getRequestState, getServices, requireUser } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/settings";

export const meta: Route.MetaFunction = () => [{ title: "Settings — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const { db, fileStores } = getServices(context);
  const { device } = getRequestState(context);
  const [devices, codesLeft, storage] = await Promise.all([
    listDevices(db, user),
    remainingRecoveryCodes(db, user),
    storageUsage(fileStores, user),
  ]);
  return {
    storage,
    username: user.username,
    createdAt: user.createdAt,
    devices: devices.map((d) => ({ ...d, current: d.id === device?.id })),
    codesLeft,
    now: Date.now(),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  const formData = await request.formData();
  const intent = formData.get("intent");
  switch (intent) {
    case "change-password":
      return changePasswordAction(request, context, user, formData);
    case "sign-out-device":
      return signOutDeviceAction(request, context, user, formData);
    case "sign-out-others":
      return signOutOthersAction(request, context, user);
    case "delete-account":
      return deleteAccountAction(request, context, user, formData);
    case "delete-old-versions": {
      const { versions, bytes } = await deleteOldVersions(getServices(context).fileStores, user.username);
      return redirectWithToast(
        context,
        request,
        "/settings#storage",
        versions
          ? `Deleted ${versions} old version${versions === 1 ? "" : "s"}, freeing ${formatBytes(bytes)}. Every file keeps its current version.`
          : "There were no old versions to delete.",
      );
    }
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
  const services = getServices(context);
  try {
    const { currentPassword, newPassword } = submission.value;
    const changed = await changePassword(
      services.db,
      user,
      currentPassword,
      newPassword,
      await attemptOrigin(state, request),
    );
    // Every session of the account ended (and its sockets close); this device signs in again.
    await closeDeviceSockets(services, user, changed.signedOut);
    const remember = state.device?.remember ?? false;
    const headers = await startSession({ ...state, device: null }, services, changed.user, { remember, request });
    return redirect("/settings?passwordChanged=1", { headers });
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(
      { intent, result: submission.reply({ fieldErrors: { currentPassword: [error.message] }, hideFields }) },
      { status: error.status },
    );
  }
}

async function signOutDeviceAction(request: Request, context: Route.ActionArgs["context"], user: User, form: FormData) {
  const parsed = signOutDeviceSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) notFound("signed-in device");
  const state = getRequestState(context);
  const services = getServices(context);
  if (parsed.data.deviceId === state.device?.id) {
    return redirect("/login?signedOut=1", { headers: await endSession(state, services) });
  }
  if (!(await removeDevice(services.db, user, parsed.data.deviceId))) notFound("signed-in device");
  await closeDeviceSockets(services, user, [parsed.data.deviceId]);
  return redirectWithToast(context, request, "/settings", "That device is signed out.");
}

async function signOutOthersAction(request: Request, context: Route.ActionArgs["context"], user: User) {
  const services = getServices(context);
  const signedOut = await removeOtherDevices(services.db, user, getRequestState(context).device?.id);
  await closeDeviceSockets(services, user, signedOut);
  const message = signedOut.length
    ? `Signed out ${signedOut.length} other device${signedOut.length === 1 ? "" : "s"}.`
    : "No other device was signed in.";
  return redirectWithToast(context, request, "/settings", message);
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
  const state = getRequestState(context);
  try {
    await deleteAccount(getServices(context), user, submission.value.password, await attemptOrigin(state, request));
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return data(
      { intent, result: submission.reply({ fieldErrors: { password: [error.message] }, hideFields: ["password"] }) },
      { status: error.status },
    );
  }
  // The account, its devices and its sockets are gone; only this browser's cookie is left.
  return redirect("/?accountDeleted=1", { headers: { "Set-Cookie": await state.store.destroySession(state.session) } });
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
      {searchParams.get("recovered") === "1" ? (
        <p role="status" className="mb-6 rounded-md border border-green-300 bg-green-50 p-3 text-green-900">
          Your new password is set and you are signed in. Every other device was signed out. You have{" "}
          {loaderData.codesLeft} recovery code{loaderData.codesLeft === 1 ? "" : "s"} left.
        </p>
      ) : null}
      {searchParams.get("passwordChanged") === "1" ? (
        <p role="status" className="mb-6 rounded-md border border-green-300 bg-green-50 p-3 text-green-900">
          Your password was changed. Every other device was signed out.
        </p>
      ) : null}

      <StorageSection storage={loaderData.storage} busy={submittingIntent} />

      <DevicesSection devices={loaderData.devices} now={loaderData.now} busy={submittingIntent} />

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

        <section aria-labelledby="recovery-heading" className="rounded-lg border border-stone-300 bg-white p-5">
          <h2 id="recovery-heading" className="mb-2 font-serif text-xl font-semibold">
            Recovery codes
          </h2>
          <p className="mb-4 text-stone-700">
            If you forget your password, one of these codes lets you choose a new one. You have{" "}
            <strong>{loaderData.codesLeft}</strong> unused code{loaderData.codesLeft === 1 ? "" : "s"}.
          </p>
          <Link to="/settings/recovery-codes" className={linkButtonClass.secondary}>
            Manage recovery codes
          </Link>
        </section>

        <section aria-labelledby="api-heading" className="rounded-lg border border-stone-300 bg-white p-5">
          <h2 id="api-heading" className="mb-2 font-serif text-xl font-semibold">
            API and webhooks
          </h2>
          <p className="mb-4 text-stone-700">
            Connect a Discord bot, a virtual tabletop or a script: make access tokens for the API, see today's usage
            against the daily limits, and have LoreSmith AI tell your tools when something changes.
          </p>
          <Link to="/settings/api" className={linkButtonClass.secondary}>
            Manage API tokens and webhooks
          </Link>
        </section>

        <section aria-labelledby="export-heading" className="rounded-lg border border-stone-300 bg-white p-5">
          <h2 id="export-heading" className="mb-2 font-serif text-xl font-semibold">
            Export everything
          </h2>
          <p className="mb-4 text-stone-700">
            Every campaign you run or play in, as one .zip of Markdown files and <code>loresmith.json</code> (each
            campaign as you see it). It imports back from Campaigns → Import.
          </p>
          <ArchiveDownload
            action="/settings/export"
            label="Download my archive"
            // With files it may be gigabytes: the browser's own download, never the page's memory.
            estimate={(form) => (new FormData(form).get("files") === "1" ? Number.POSITIVE_INFINITY : 0)}
          >
            <label className="flex min-h-11 items-center gap-3">
              <input type="checkbox" name="files" value="1" className="size-5" />
              <span>Include the attached files’ bytes</span>
            </label>
          </ArchiveDownload>
        </section>
      </div>

      {/* Apart from everything else, below it: what cannot be undone. */}
      <section aria-labelledby="danger-heading" className="mt-10 border-red-200 border-t-2 pt-6">
        <h2 id="danger-heading" className="font-serif text-xl font-semibold text-red-800">
          Danger zone
        </h2>
        <p className="mt-1 text-stone-700">What you do here cannot be undone.</p>
        <section
          aria-labelledby="delete-heading"
          className="mt-4 max-w-2xl rounded-lg border border-red-300 bg-white p-5"
        >
          <h3 id="delete-heading" className="mb-2 font-semibold text-lg text-red-800">
            Delete account
          </h3>
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
            <Button type="submit" variant="dangerSecondary" pending={submittingIntent === "delete-account"}>
              {submittingIntent === "delete-account" ? "Deleting…" : "Delete my account"}
            </Button>
          </Form>
        </section>
      </section>
    </>
  );
}

type DeviceRow = Route.ComponentProps["loaderData"]["devices"][number];

function DevicesSection({ devices, now, busy }: { devices: DeviceRow[]; now: number; busy: unknown }) {
  const others = devices.filter((device) => !device.current).length;
  return (
    <section aria-labelledby="devices-heading" className="mb-6 rounded-lg border border-stone-300 bg-white p-5">
      <h2 id="devices-heading" className="mb-2 font-serif text-xl font-semibold">
        Signed-in devices
      </h2>
      <p className="mb-4 text-stone-700">
        Every browser where your account is signed in. Sign out any you do not recognise, then change your password.
      </p>
      <ul className="divide-y divide-stone-200" aria-label="Signed-in devices">
        {devices.map((device) => (
          <li key={device.id} className="flex flex-col gap-2 py-3 sm:flex-row sm:items-center sm:justify-between">
            <div>
              <p className="font-medium">
                {device.label}
                {device.current ? (
                  <span className="ml-2 rounded bg-stone-200 px-2 py-0.5 text-sm">This device</span>
                ) : null}
              </p>
              <p className="text-sm text-stone-700">
                Signed in {formatRelative(device.createdAt, now)} · last active {formatRelative(device.lastSeenAt, now)}
                {device.remember ? " · kept signed in" : ""}
              </p>
            </div>
            <Form method="post">
              <input type="hidden" name="intent" value="sign-out-device" />
              <input type="hidden" name="deviceId" value={device.id} />
              <Button type="submit" variant="secondary">
                Sign out<span className="sr-only"> {device.current ? "this device" : device.label}</span>
              </Button>
            </Form>
          </li>
        ))}
      </ul>
      {others > 0 ? (
        <Form method="post" className="mt-3">
          <input type="hidden" name="intent" value="sign-out-others" />
          <Button type="submit" variant="secondary" pending={busy === "sign-out-others"}>
            Sign out all other devices ({others})
          </Button>
        </Form>
      ) : null}
    </section>
  );
}

/** What the GM stores: the quota as a bar, the largest files, and what old versions cost. */
function StorageSection({ storage, busy }: { storage: StorageUsage; busy: unknown }) {
  return (
    <section
      id="storage"
      aria-labelledby="storage-heading"
      className="mb-6 space-y-4 rounded-lg border border-stone-300 bg-white p-5"
    >
      <h2 id="storage-heading" className="font-serif text-xl font-semibold">
        Storage
      </h2>
      <div className="space-y-1">
        <p id="storage-used">
          <strong>{formatBytes(storage.usedBytes)}</strong> of {formatBytes(storage.quotaBytes)} used (
          {formatShare(storage.usedBytes, storage.quotaBytes)}), in {storage.fileCount} file
          {storage.fileCount === 1 ? "" : "s"}.
        </p>
        <UsageBar used={storage.usedBytes} quota={storage.quotaBytes} labelledBy="storage-used" />
      </div>
      {storage.oldVersions ? (
        <DeleteDisclosure
          what="old versions"
          intent="delete-old-versions"
          detail={`${storage.oldVersions} older version${storage.oldVersions === 1 ? " of your files takes" : "s of your files take"} ${formatBytes(storage.oldBytes)}. Deleting them keeps every file's current version, its passages and the campaigns it is in; only the older downloads go.`}
          pending={busy === "delete-old-versions"}
        />
      ) : (
        <p className="text-sm text-stone-700">No old versions: every file holds only its current version.</p>
      )}
      {storage.files.length ? (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="mb-2 text-left text-stone-700">
              {storage.fileCount > storage.files.length
                ? `Your ${storage.files.length} largest files, of ${storage.fileCount}`
                : "Your files, largest first"}
            </caption>
            <thead>
              <tr className="border-stone-300 border-b">
                <th scope="col" className="py-2 pr-3 font-medium">
                  File
                </th>
                <th scope="col" className="py-2 pr-3 text-right font-medium">
                  Current
                </th>
                <th scope="col" className="py-2 pr-3 text-right font-medium">
                  Old versions
                </th>
                <th scope="col" className="py-2 text-right font-medium">
                  Passages
                </th>
              </tr>
            </thead>
            <tbody>
              {storage.files.map((file) => (
                <tr key={file.fileKey} className="border-stone-200 border-b last:border-0">
                  <th scope="row" className="break-all py-2 pr-3 font-normal sm:break-words">
                    <Link to={`/library/${file.fileKey}`} className="text-ember-700 underline">
                      {file.fileName}
                    </Link>
                  </th>
                  <td className="py-2 pr-3 text-right">{formatBytes(file.currentBytes)}</td>
                  <td className="py-2 pr-3 text-right">
                    {file.oldVersions ? `${file.oldVersions} · ${formatBytes(file.oldBytes)}` : "—"}
                  </td>
                  <td className="py-2 text-right">{file.passages ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="text-sm text-stone-700">
          No files yet.{" "}
          <Link to="/library" className="text-ember-700 underline">
            Upload one in the Library
          </Link>
          .
        </p>
      )}
    </section>
  );
}

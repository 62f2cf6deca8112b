import { getFormProps, getTextareaProps, type SubmissionResult, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, redirect, useNavigation } from "react-router";
import { z } from "zod";
import { Button } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { LOG_NOTE_MAX, logNoteSchema, logNoteTargetSchema } from "~/lib/campaign-schemas";
import { formatRelative } from "~/lib/format";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { EVERYONE, GMS_ONLY } from "~/server/campaigns/policy.server";
import { addLogNote, deleteLogNote, listLogNotes } from "~/server/campaigns/session-log.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { announce } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/log";

export const meta: Route.MetaFunction = () => [{ title: "Session log — LoreSmith AI" }];

const beforeSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().catch(undefined);

/** The session log: short notes from the table, newest first; older ones page back. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const before = beforeSchema.parse(new URL(request.url).searchParams.get("before") ?? undefined);
  const { notes, olderFrom } = await listLogNotes(getServices(context).db, access, before);
  const mayWrite = mayAlso(context, "writeLog");
  return {
    campaignId: access.campaign.id,
    mayWrite,
    mayKeepForGms: mayWrite && mayAlso(context, "seeSecrets"),
    notes: notes.map((note) => ({ ...note, mayDelete: mayWrite && note.mayDelete })),
    // The newest note this reader wrote: the form starts empty again after each of theirs.
    lastOwnNote: notes.find((note) => note.mine)?.id ?? 0,
    paging: { before: before ?? null, olderFrom: olderFrom ?? null },
    now: Date.now(),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "writeLog");
  const services = getServices(context);
  const formData = await request.formData();
  const here = `/campaigns/${access.campaign.id}/log`;
  const intent = formData.get("intent");
  switch (intent) {
    case "add": {
      const submission = parseWithZod(formData, { schema: logNoteSchema });
      if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
      try {
        const note = await addLogNote(services.db, access, submission.value.body, Boolean(submission.value.gmOnly));
        await announce(services, access, {
          kind: "log",
          id: String(note.id),
          audience: note.audience === "gm" ? GMS_ONLY : EVERYONE,
        });
      } catch (error) {
        if (!(error instanceof QuotaExceeded)) throw error;
        return data({ result: submission.reply({ formErrors: [error.message] }) }, { status: error.status });
      }
      // Back to the log (a reload does not add it twice); the note is at its top.
      return redirect(here);
    }
    case "delete": {
      const parsed = logNoteTargetSchema.safeParse(Object.fromEntries(formData));
      const audience = parsed.success ? await deleteLogNote(services.db, access, parsed.data.noteId) : null;
      if (!parsed.success || !audience) notFound("note");
      await announce(services, access, {
        kind: "log",
        id: String(parsed.data.noteId),
        audience: audience === "gm" ? GMS_ONLY : EVERYONE,
      });
      return redirectWithToast(context, request, here, "Note deleted.");
    }
    default:
      unknownIntent(intent);
  }
}

export default function SessionLog({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, mayWrite, mayKeepForGms, notes, lastOwnNote, paging, now } = loaderData;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const here = `/campaigns/${campaignId}/log`;
  return (
    <div className="max-w-2xl space-y-6">
      <header>
        <h1 className="font-serif text-3xl font-semibold">Session log</h1>
        <p className="text-stone-700">
          Short notes from the table — what happened, who owes whom, the name the bartender let slip. Everyone with the
          campaign open sees a new note appear.
        </p>
      </header>
      {mayWrite ? (
        <NoteForm
          key={lastOwnNote}
          lastResult={actionData?.result}
          mayKeepForGms={mayKeepForGms}
          pending={busy === "add"}
        />
      ) : null}
      {notes.length ? (
        <ol aria-label="Notes, newest first" className="space-y-3">
          {notes.map((note) => (
            <li
              key={note.id}
              className={`rounded-lg border p-3 ${note.audience === "gm" ? "border-violet-700 bg-violet-50" : "border-stone-300 bg-white"}`}
            >
              <p className="whitespace-pre-wrap break-words">{note.body}</p>
              <div className="mt-2 flex flex-wrap items-center justify-between gap-2 text-sm text-stone-700">
                <p>
                  <span className="font-medium text-stone-900">{note.mine ? "You" : note.author}</span> ·{" "}
                  <time dateTime={new Date(note.createdAt).toISOString()}>{formatRelative(note.createdAt, now)}</time>
                  {note.audience === "gm" ? <span className="font-medium text-violet-800"> · GMs only</span> : null}
                </p>
                {note.mayDelete ? (
                  <Form method="post">
                    <input type="hidden" name="intent" value="delete" />
                    <input type="hidden" name="noteId" value={note.id} />
                    <Button type="submit" variant="ghost" className="min-h-11 text-sm underline">
                      Delete<span className="sr-only"> this note</span>
                    </Button>
                  </Form>
                ) : null}
              </div>
            </li>
          ))}
        </ol>
      ) : (
        <p className="rounded-lg border border-stone-300 border-dashed p-4 text-stone-700">
          {paging.before ? "No older notes." : "No notes yet. The first one starts the log."}
        </p>
      )}
      <nav aria-label="Older and newer notes" className="flex gap-4">
        {paging.before ? (
          <Link to={here} className="text-ember-700 underline">
            Newest notes
          </Link>
        ) : null}
        {paging.olderFrom ? (
          <Link to={`${here}?before=${paging.olderFrom}`} className="text-ember-700 underline">
            Older notes
          </Link>
        ) : null}
      </nav>
    </div>
  );
}

function NoteForm({
  lastResult,
  mayKeepForGms,
  pending,
}: {
  lastResult?: SubmissionResult<string[]> | null;
  mayKeepForGms: boolean;
  pending: boolean;
}) {
  const [form, fields] = useForm({ id: "log-note", lastResult, ...schemaValidation(logNoteSchema) });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-3 rounded-lg border border-stone-300 bg-white p-4">
      <input type="hidden" name="intent" value="add" />
      <FormErrors id={form.errorId} errors={form.errors} />
      <Field
        label="Add a note"
        id={fields.body.id}
        errors={fields.body.errors}
        hint={`Up to ${LOG_NOTE_MAX} characters.`}
      >
        <textarea
          {...getTextareaProps(fields.body, { ariaDescribedBy: `${fields.body.id}-hint` })}
          rows={3}
          className={inputClass}
        />
      </Field>
      <div className="flex flex-wrap items-center justify-between gap-3">
        {mayKeepForGms ? (
          <label className="flex min-h-11 items-center gap-2">
            <input type="checkbox" name={fields.gmOnly.name} value="on" className="size-5" />
            Keep for the GMs
          </label>
        ) : (
          <span />
        )}
        <Button type="submit" pending={pending}>
          Add note
        </Button>
      </div>
    </Form>
  );
}

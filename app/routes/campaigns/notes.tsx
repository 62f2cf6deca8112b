import { getFormProps, type SubmissionResult, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, useNavigation } from "react-router";
import { MarkdownView } from "~/components/markdown";
import { Button } from "~/components/ui/button";
import { MARKDOWN_HINT, TextArea, TextField } from "~/components/ui/controls";
import { FormErrors } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { memberNoteSchema, memberNoteShareSchema, memberNoteTargetSchema } from "~/lib/campaign-schemas";
import { formatRelative } from "~/lib/format";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import {
  addMemberNote,
  deleteMemberNote,
  listMemberNotes,
  shareMemberNote,
  updateMemberNote,
} from "~/server/campaigns/member-notes.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/notes";

export const meta: Route.MetaFunction = () => [{ title: "My notes — LoreSmith AI" }];

/** A member's own notes in the campaign, and for the GMs the notes players shared with them. */
export async function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "keepNotes");
  const { mine, sharedWithMe } = await listMemberNotes(getServices(context).db, access);
  return { mine, sharedWithMe, seesShared: mayAlso(context, "seeSecrets"), now: Date.now() };
}

export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "keepNotes");
  const { db } = getServices(context);
  const formData = await request.formData();
  const here = `/campaigns/${access.campaign.id}/notes`;
  const intent = formData.get("intent");
  switch (intent) {
    case "add":
    case "save": {
      const submission = parseWithZod(formData, { schema: memberNoteSchema });
      if (submission.status !== "success") {
        return data({ form: String(formData.get("form") ?? intent), result: submission.reply() }, { status: 400 });
      }
      if (intent === "add") {
        try {
          await addMemberNote(db, access, submission.value);
        } catch (error) {
          if (!(error instanceof QuotaExceeded)) throw error;
          return data(
            { form: "add", result: submission.reply({ formErrors: [error.message] }) },
            { status: error.status },
          );
        }
        return redirectWithToast(context, request, here, "Note added. Only you can read it.");
      }
      const target = memberNoteTargetSchema.safeParse(Object.fromEntries(formData));
      if (!target.success || !(await updateMemberNote(db, access, target.data.noteId, submission.value))) {
        notFound("note");
      }
      return redirectWithToast(context, request, here, "Note saved.");
    }
    case "share": {
      const parsed = memberNoteShareSchema.safeParse(Object.fromEntries(formData));
      const shared = parsed.success && parsed.data.shared === "1";
      if (!parsed.success || !(await shareMemberNote(db, access, parsed.data.noteId, shared))) notFound("note");
      return redirectWithToast(
        context,
        request,
        here,
        shared ? "Shared: the GMs can read this note now." : "Private again: only you can read this note.",
      );
    }
    case "delete": {
      const parsed = memberNoteTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success || !(await deleteMemberNote(db, access, parsed.data.noteId))) notFound("note");
      return redirectWithToast(context, request, here, "Note deleted.");
    }
    default:
      unknownIntent(intent);
  }
}

type Note = Route.ComponentProps["loaderData"]["mine"][number];

export default function MemberNotes({ loaderData, actionData }: Route.ComponentProps) {
  const { mine, sharedWithMe, seesShared, now } = loaderData;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData : undefined;
  const resultFor = (form: string) => (actionData?.form === form ? actionData.result : null);
  return (
    <div className="max-w-3xl space-y-8">
      <header>
        <h1 className="font-serif text-3xl font-semibold">My notes</h1>
        <p className="text-stone-700">
          Your own notebook for this campaign: theories, names, plans. Only you can read a note, until you share it with
          the GMs.
        </p>
      </header>
      <section aria-labelledby="new-note" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="new-note" className="mb-3 font-serif text-xl font-semibold">
          New note
        </h2>
        <NoteForm id="add" intent="add" lastResult={resultFor("add")} pending={busy?.get("intent") === "add"} />
      </section>
      <section aria-labelledby="my-notes" className="space-y-3">
        <h2 id="my-notes" className="font-serif text-xl font-semibold">
          Your notes
        </h2>
        {mine.length ? (
          <ul className="space-y-3">
            {mine.map((note) => (
              <li key={note.id}>
                <OwnNote
                  note={note}
                  now={now}
                  lastResult={resultFor(`note-${note.id}`)}
                  busy={busy?.get("noteId") === String(note.id) ? String(busy.get("intent")) : null}
                />
              </li>
            ))}
          </ul>
        ) : (
          <p className="rounded-lg border border-stone-300 border-dashed p-4 text-stone-700">No notes yet.</p>
        )}
      </section>
      {seesShared ? (
        <section aria-labelledby="shared-notes" className="space-y-3">
          <h2 id="shared-notes" className="font-serif text-xl font-semibold">
            Shared with the GMs
          </h2>
          {sharedWithMe.length ? (
            <ul className="space-y-3">
              {sharedWithMe.map((note) => (
                <li key={note.id} className="rounded-lg border border-stone-300 bg-white p-4">
                  <h3 className="font-semibold">{note.title}</h3>
                  <p className="mb-2 text-sm text-stone-700">
                    by {note.author} · updated {formatRelative(note.updatedAt, now)}
                  </p>
                  <MarkdownView html={note.html} empty="No text." />
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-stone-700">No player has shared a note with the GMs yet.</p>
          )}
        </section>
      ) : null}
    </div>
  );
}

function OwnNote({
  note,
  now,
  lastResult,
  busy,
}: {
  note: Note;
  now: number;
  lastResult: SubmissionResult<string[]> | null;
  busy: string | null;
}) {
  return (
    <article aria-labelledby={`note-${note.id}-title`} className="rounded-lg border border-stone-300 bg-white p-4">
      <h3 id={`note-${note.id}-title`} className="font-semibold">
        {note.title}
      </h3>
      <p className="mb-2 text-sm text-stone-700">
        updated {formatRelative(note.updatedAt, now)}
        {note.sharedWithGms ? <span className="font-medium text-violet-800"> · shared with the GMs</span> : null}
      </p>
      <MarkdownView html={note.html} empty="No text." />
      <details className="mt-3" open={Boolean(lastResult)}>
        <summary className="inline-flex min-h-11 cursor-pointer items-center text-ember-700 underline">
          Edit<span className="sr-only"> “{note.title}”</span>
        </summary>
        <div className="mt-2">
          <NoteForm
            id={`note-${note.id}`}
            intent="save"
            noteId={note.id}
            defaultValue={{ title: note.title, body: note.body }}
            lastResult={lastResult}
            pending={busy === "save"}
          />
        </div>
      </details>
      <div className="mt-3 flex flex-wrap gap-2">
        <Form method="post">
          <input type="hidden" name="intent" value="share" />
          <input type="hidden" name="noteId" value={note.id} />
          <input type="hidden" name="shared" value={note.sharedWithGms ? "0" : "1"} />
          <Button type="submit" variant="secondary" pending={busy === "share"}>
            {note.sharedWithGms ? "Make private again" : "Share with the GMs"}
          </Button>
        </Form>
        <Form method="post">
          <input type="hidden" name="intent" value="delete" />
          <input type="hidden" name="noteId" value={note.id} />
          <Button type="submit" variant="ghost" pending={busy === "delete"}>
            Delete<span className="sr-only"> “{note.title}”</span>
          </Button>
        </Form>
      </div>
    </article>
  );
}

function NoteForm({
  id,
  intent,
  noteId,
  defaultValue,
  lastResult,
  pending,
}: {
  id: string;
  intent: "add" | "save";
  noteId?: number;
  defaultValue?: { title: string; body: string };
  lastResult: SubmissionResult<string[]> | null;
  pending: boolean;
}) {
  const [form, fields] = useForm({ id, lastResult, defaultValue, ...schemaValidation(memberNoteSchema) });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-3">
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="form" value={id} />
      {noteId ? <input type="hidden" name="noteId" value={noteId} /> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <TextField field={fields.title} label="Title" />
      <TextArea field={fields.body} label="Note" hint={MARKDOWN_HINT} rows={5} />
      <Button type="submit" pending={pending}>
        {intent === "add" ? "Add note" : "Save note"}
      </Button>
    </Form>
  );
}

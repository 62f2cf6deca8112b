import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, useNavigation } from "react-router";
import { z } from "zod";
import { PageHeader } from "~/components/app-shell";
import { inputClass } from "~/components/ui/field";
import {
  importFormSchema,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_FILES,
  type NoteTarget,
  noteTargetLabels,
  noteTargets,
  type UnmappedReason,
} from "~/lib/archives";
import { formatBytes } from "~/lib/format";
import { ArchiveRefused } from "~/server/archives/archive-reader.server";
import {
  createFromImport,
  dropStaged,
  type ImportPreview,
  type ImportResult,
  loadStaged,
  previewImport,
  stageImport,
} from "~/server/archives/import.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { unknownIntent } from "~/server/http/responses.server";
import { getServices, limitRequest, requireUser } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/import";

export const meta: Route.MetaFunction = () => [{ title: "Import — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  requireUser(context, request);
  return { maxBytes: MAX_IMPORT_BYTES, maxFiles: MAX_IMPORT_FILES };
}

const uploadSchema = z.object({
  intent: z.literal("upload"),
  archive: z
    .instanceof(File, { message: "Choose a .zip file." })
    .refine((file) => file.size > 0, "Choose a .zip file.")
    .refine(
      (file) => file.size <= MAX_IMPORT_BYTES,
      `At most ${formatBytes(MAX_IMPORT_BYTES)} can be imported at once.`,
    ),
});

type ActionData =
  | { phase: "error"; message: string; staged?: string; preview?: ImportPreview; fileName?: string }
  | { phase: "preview"; staged: string; fileName: string; preview: ImportPreview }
  | { phase: "done"; result: ImportResult; names: string[] };

/**
 * Upload (a multipart form) → preview (the upload kept for an hour, ADR 0039) → create.
 * Every step reads the archive again from those bytes, and refuses a bad one as a whole.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  await limitRequest(context, request, "write");
  const { db, cache, limits } = getServices(context);
  const form = await request.formData();
  const intent = form.get("intent");
  const fail = (message: string, status: number, more: Partial<Extract<ActionData, { phase: "error" }>> = {}) =>
    data<ActionData>({ phase: "error", message, ...more }, { status });
  if (intent === "upload") {
    const submission = parseWithZod(form, { schema: uploadSchema });
    if (submission.status !== "success") {
      return fail(submission.error?.archive?.[0] ?? "Choose a .zip file.", 400);
    }
    const file = submission.value.archive;
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      const preview = await previewImport(bytes, file.name);
      const staged = await stageImport(cache, user, bytes, file.name);
      return data<ActionData>({ phase: "preview", staged, fileName: file.name, preview });
    } catch (error) {
      if (error instanceof ArchiveRefused) return fail(error.message, error.status);
      throw error;
    }
  }
  if (intent !== "preview" && intent !== "create" && intent !== "cancel") unknownIntent(intent);
  const submission = parseWithZod(form, { schema: importFormSchema });
  if (submission.status !== "success") {
    return fail(submission.error?.staged?.[0] ?? "This form is out of date: choose the file again.", 400);
  }
  const value = submission.value;
  const staged = await loadStaged(cache, user, value.staged);
  if (!staged) return fail("This upload has expired (an upload waits an hour): choose the file again.", 410);
  if (value.intent === "cancel") {
    await dropStaged(cache, user, value.staged);
    return redirectWithToast(context, request, "/campaigns/import", "Nothing was imported.");
  }
  try {
    if (value.intent === "preview") {
      const preview = await previewImport(staged.bytes, staged.fileName, value);
      return data<ActionData>({ phase: "preview", staged: value.staged, fileName: staged.fileName, preview });
    }
    const result = await createFromImport({ db, limits: limits.rows }, user, staged.bytes, staged.fileName, value);
    await dropStaged(cache, user, value.staged);
    const [first] = result.campaignIds;
    const summary = `${plural(result.created.entries, "entry", "entries")} and ${plural(result.created.characters, "character", "characters")}`;
    if (result.notRestored.length === 0 && result.campaignIds.length === 1 && first) {
      return redirectWithToast(context, request, `/campaigns/${first}`, `Imported: ${summary}.`);
    }
    const names = await Promise.all(
      result.campaignIds.map(
        async (id) => (await db.query.campaigns.findFirst({ where: (c, { eq }) => eq(c.id, id) }))?.name ?? id,
      ),
    );
    return data<ActionData>({ phase: "done", result, names });
  } catch (error) {
    if (error instanceof ArchiveRefused || error instanceof QuotaExceeded) {
      return fail(error.message, error.status);
    }
    throw error;
  }
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/** How a section's rows are counted in words (a section this page does not know is named as it is). */
const sectionWords: Record<string, [string, string]> = {
  entries: ["entry", "entries"],
  characters: ["character", "characters"],
  files: ["attached file", "attached files"],
  relations: ["relation", "relations"],
  sessions: ["session", "sessions"],
};

const reasonLabels: Record<UnmappedReason, string> = {
  "not-markdown": "Not a note",
  empty: "Empty",
  "too-large": "Too large",
  "name-clash": "Name clash",
  "front-matter": "Unreadable front matter",
  skipped: "Skipped",
  settings: "Vault settings",
  "not-text": "Not text",
};

const selectClass = `${inputClass} max-w-56`;

function TargetSelect({ name, value, allowFolder }: { name: string; value: NoteTarget | ""; allowFolder?: boolean }) {
  return (
    <select name={name} defaultValue={value} className={selectClass} aria-label="Imported as">
      {allowFolder ? <option value="">(as its folder says)</option> : null}
      {noteTargets.map((target) => (
        <option key={target} value={target}>
          {noteTargetLabels[target]}
        </option>
      ))}
    </select>
  );
}

function Preview({ staged, fileName, preview }: { staged: string; fileName: string; preview: ImportPreview }) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  return (
    <Form method="post" className="space-y-6" aria-label="Import preview">
      <input type="hidden" name="staged" value={staged} />
      {preview.kind === "loresmith" ? (
        <section className="space-y-3 rounded-lg border border-stone-300 bg-white p-4" aria-labelledby="what-heading">
          <h2 id="what-heading" className="font-serif text-xl font-semibold">
            A LoreSmith archive: {fileName}
          </h2>
          {preview.newerVersion ? (
            <p className="rounded border border-amber-600 bg-amber-50 p-2">
              A newer LoreSmith made this archive: what this one understands is imported, and the rest is listed.
            </p>
          ) : null}
          <ul className="space-y-2" aria-label="Campaigns to create">
            {preview.campaigns.map((campaign) => (
              <li key={campaign.name}>
                <span className="font-semibold">{campaign.name}</span>:{" "}
                {Object.entries(campaign.counts)
                  .map(([key, n]) => plural(n, ...(sectionWords[key] ?? [key, key])))
                  .join(", ")}
                {campaign.view === "member" ? " (what was shared with its exporter)" : ""}
              </li>
            ))}
          </ul>
          {preview.unknownSections.length ? (
            <p>Not understood, left out: {preview.unknownSections.join(", ")}.</p>
          ) : null}
          {preview.campaigns.length === 1 ? (
            <label className="block space-y-1">
              <span className="block font-medium text-sm">Name of the new campaign</span>
              <input name="name" defaultValue={preview.campaigns[0]?.name} maxLength={120} className={inputClass} />
            </label>
          ) : null}
        </section>
      ) : (
        <>
          <section className="space-y-3 rounded-lg border border-stone-300 bg-white p-4" aria-labelledby="map-heading">
            <h2 id="map-heading" className="font-serif text-xl font-semibold">
              An Obsidian vault: {fileName}
            </h2>
            <label className="block space-y-1">
              <span className="block font-medium text-sm">Name of the new campaign</span>
              <input name="name" defaultValue={preview.name} maxLength={120} className={inputClass} />
            </label>
            <p className="text-sm text-stone-700">
              A note becomes what its front matter’s <code>type:</code> says, else what its first mapped tag says, else
              what its folder says.
            </p>
            <fieldset className="space-y-2">
              <legend className="font-medium">Folders</legend>
              <ul className="space-y-2">
                {preview.folders.map((folder, i) => (
                  <li key={folder.path} className="flex flex-wrap items-center gap-2">
                    <input type="hidden" name={`folders[${i}].path`} value={folder.path} />
                    <span className="min-w-40 font-mono text-sm">
                      {folder.path || "(top of the vault)"} <span className="text-stone-600">· {folder.notes}</span>
                    </span>
                    <TargetSelect name={`folders[${i}].target`} value={folder.target} />
                  </li>
                ))}
              </ul>
            </fieldset>
            {preview.tags.length ? (
              <fieldset className="space-y-2">
                <legend className="font-medium">Tags</legend>
                <ul className="space-y-2">
                  {preview.tags.map((tag, i) => (
                    <li key={tag.tag} className="flex flex-wrap items-center gap-2">
                      <input type="hidden" name={`tags[${i}].tag`} value={tag.tag} />
                      <span className="min-w-40 font-mono text-sm">
                        #{tag.tag} <span className="text-stone-600">· {tag.notes}</span>
                      </span>
                      <TargetSelect name={`tags[${i}].target`} value={tag.target} allowFolder />
                    </li>
                  ))}
                </ul>
              </fieldset>
            ) : null}
            <button
              type="submit"
              name="intent"
              value="preview"
              className="inline-flex min-h-11 items-center rounded-md border border-stone-400 bg-white px-4 font-medium hover:bg-stone-100"
            >
              Update the preview
            </button>
          </section>
          <section
            className="space-y-2 rounded-lg border border-stone-300 bg-white p-4"
            aria-labelledby="create-heading"
          >
            <h2 id="create-heading" className="font-serif text-xl font-semibold">
              Will be created ({preview.create.length.toLocaleString("en")})
            </h2>
            <p>
              {Object.entries(preview.counts)
                .map(([target, n]) => `${n} × ${noteTargetLabels[target as NoteTarget]}`)
                .join(" · ") || "Nothing."}
            </p>
            <ul className="max-h-80 divide-y divide-stone-200 overflow-y-auto" aria-label="Notes to import">
              {preview.create.slice(0, 500).map((note) => (
                <li key={note.path} className="flex flex-wrap justify-between gap-x-3 py-1">
                  <span className="font-medium">{note.title}</span>
                  <span className="text-sm text-stone-700">
                    {noteTargetLabels[note.target]} · <span className="font-mono">{note.path}</span>
                  </span>
                </li>
              ))}
            </ul>
            {preview.create.length > 500 ? <p>…and {preview.create.length - 500} more.</p> : null}
          </section>
          <section
            className="space-y-2 rounded-lg border border-stone-300 bg-white p-4"
            aria-labelledby="unmapped-heading"
          >
            <h2 id="unmapped-heading" className="font-serif text-xl font-semibold">
              Not imported ({preview.unmapped.length.toLocaleString("en")})
            </h2>
            {preview.unmapped.length === 0 ? (
              <p>Everything in the vault can be imported.</p>
            ) : (
              <ul className="max-h-80 divide-y divide-stone-200 overflow-y-auto" aria-label="Not imported">
                {preview.unmapped.slice(0, 500).map((item) => (
                  <li key={`${item.reason}:${item.path}`} className="py-1">
                    <span className="font-medium">{reasonLabels[item.reason]}</span>:{" "}
                    <span className="break-all font-mono text-sm">{item.path}</span>{" "}
                    <span className="text-sm text-stone-700">— {item.detail}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
      <div className="flex flex-wrap gap-3">
        <button
          type="submit"
          name="intent"
          value="create"
          disabled={busy}
          className="inline-flex min-h-11 items-center rounded-md bg-ember-600 px-4 font-medium text-white hover:bg-ember-700 disabled:opacity-60"
        >
          {preview.kind === "obsidian" ? `Import ${preview.create.length} notes` : "Import"}
        </button>
        <button
          type="submit"
          name="intent"
          value="cancel"
          className="inline-flex min-h-11 items-center rounded-md border border-stone-400 bg-white px-4 font-medium hover:bg-stone-100"
        >
          Cancel
        </button>
      </div>
    </Form>
  );
}

export default function ImportCampaign({ loaderData, actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  const result = actionData as ActionData | undefined;
  return (
    <div className="max-w-3xl space-y-6">
      <p>
        <Link to="/campaigns" className="text-ember-700 underline">
          ← Campaigns
        </Link>
      </p>
      <PageHeader title="Import">
        A LoreSmith archive comes back in as a new campaign, exactly as it was exported. A zipped Obsidian vault becomes
        a new campaign of entries and characters: you see what each note will become before anything is created.
      </PageHeader>
      {result?.phase === "error" ? (
        <p role="alert" className="rounded-lg border-2 border-red-700 bg-red-50 p-3 text-red-900">
          {result.message}
        </p>
      ) : null}
      {result?.phase === "done" ? (
        <section role="status" className="space-y-2 rounded-lg border-2 border-emerald-700 bg-emerald-50 p-4">
          <h2 className="font-serif text-xl font-semibold">Imported</h2>
          <p>
            {plural(result.result.created.entries, "entry", "entries")} and{" "}
            {plural(result.result.created.characters, "character", "characters")}, in:
          </p>
          <ul className="list-disc pl-6">
            {result.result.campaignIds.map((id, i) => (
              <li key={id}>
                <Link to={`/campaigns/${id}`} className="text-ember-700 underline">
                  {result.names[i]}
                </Link>
              </li>
            ))}
          </ul>
          {result.result.notRestored.length ? (
            <>
              <p className="font-medium">Not restored:</p>
              <ul className="list-disc pl-6">
                {result.result.notRestored.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      ) : null}
      {result?.phase === "preview" ? (
        <Preview
          key={result.staged + JSON.stringify(result.preview).length}
          staged={result.staged}
          fileName={result.fileName}
          preview={result.preview}
        />
      ) : (
        <Form
          method="post"
          encType="multipart/form-data"
          className="space-y-4 rounded-lg border border-stone-300 bg-white p-4"
        >
          <input type="hidden" name="intent" value="upload" />
          <label className="block space-y-1">
            <span className="block font-medium">Archive (.zip)</span>
            <input type="file" name="archive" accept=".zip,application/zip" required className="block w-full" />
            <span className="block text-sm text-stone-600">
              At most {formatBytes(loaderData.maxBytes)} and {loaderData.maxFiles.toLocaleString("en")} files. Nothing
              is created until you confirm the preview.
            </span>
          </label>
          <button
            type="submit"
            disabled={navigation.state === "submitting"}
            className="inline-flex min-h-11 items-center rounded-md bg-ember-600 px-4 font-medium text-white hover:bg-ember-700 disabled:opacity-60"
          >
            {navigation.state === "submitting" ? "Reading the archive…" : "Show what will be imported"}
          </button>
        </Form>
      )}
    </div>
  );
}

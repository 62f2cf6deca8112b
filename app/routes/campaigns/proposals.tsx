import {
  getFormProps,
  getInputProps,
  getSelectProps,
  getTextareaProps,
  type SubmissionResult,
  useForm,
} from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, useNavigation } from "react-router";
import { Button, linkButtonClass } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import {
  acceptSelectedSchema,
  decideProposalSchema,
  editProposalSchema,
  findProposalsSchema,
  mergeProposalSchema,
  mergeTargetValue,
  PROPOSALS_PER_PAGE,
  proposalFilterSchema,
  proposalKindLabels,
  proposalKinds,
  proposalStatuses,
  proposalStatusLabels,
} from "~/lib/proposals";
import { requireCampaign } from "~/server/campaigns/guards.server";
import { getCampaignFile } from "~/server/campaigns/resources.server";
import { notFound, Refusal, unknownIntent } from "~/server/http/responses.server";
import { announce } from "~/server/live/campaign-room.server";
import {
  acceptMany,
  acceptProposal,
  type Decision,
  findProposals,
  getProposal,
  listProposals,
  mergeProposal,
  mergeTargets,
  type ProposalDeps,
  rejectProposal,
} from "~/server/proposals/proposals.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/proposals";

export const meta: Route.MetaFunction = () => [{ title: "Proposals from your files — LoreSmith AI" }];

/**
 * The review list of what a campaign's files describe (ADR 0038): the GMs accept, edit then
 * accept, merge or reject each proposal; nothing becomes an entry or a character otherwise.
 * Only who may edit the campaign's material opens it (everyone else: 404).
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { db } = getServices(context);
  const url = new URL(request.url);
  const filter = proposalFilterSchema.parse(Object.fromEntries(url.searchParams));
  const list = await listProposals(db, access, {
    fileKey: filter.file,
    status: filter.status,
    page: filter.page,
  });
  // "Merge into another…": one proposal's merge form, with the entries or characters it may go into.
  const mergeId = decideProposalSchema.shape.proposalId.safeParse(url.searchParams.get("merge"));
  const merging = mergeId.success ? await getProposal(db, access, mergeId.data) : null;
  return {
    campaignId: access.campaign.id,
    filter,
    ...list,
    merging:
      merging && merging.proposal.status === "pending"
        ? { proposal: merging.proposal, targets: await mergeTargets(db, access, merging.proposal.kind) }
        : null,
  };
}

type ActionResult = { proposalId: number | null; result: SubmissionResult<string[]> };

const failed = (proposalId: number | null, formData: FormData, message: string, status: number) =>
  data<ActionResult>(
    { proposalId, result: parseWithZod(formData, { schema: decideProposalSchema }).reply({ formErrors: [message] }) },
    { status },
  );

export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "editMaterial");
  const services = getServices(context);
  const { db, limits } = services;
  const formData = await request.formData();
  const intent = formData.get("intent");
  const deps: ProposalDeps = {
    db,
    tracker: services.tracker,
    model: services.assistant.model,
    rows: limits.rows,
  };
  const base = `/campaigns/${access.campaign.id}/proposals`;
  const back = (formData.get("returnTo") as string | null)?.startsWith(`${base}?`)
    ? String(formData.get("returnTo"))
    : base;
  const proposalId = Number(formData.get("proposalId")) || null;
  const announced = async (decision: Decision) => {
    await announce(services, access, { kind: decision.targetKind, id: String(decision.targetId) });
  };
  try {
    switch (intent) {
      case "find": {
        const submission = parseWithZod(formData, { schema: findProposalsSchema });
        if (submission.status !== "success")
          return data<ActionResult>({ proposalId: null, result: submission.reply() }, { status: 400 });
        const file = await getCampaignFile(db, access, submission.value.fileKey);
        if (!file) notFound("file");
        const found = await findProposals(deps, access, file);
        const model = found.model
          ? ` The model read ${found.model.calls} parts of it${found.model.failures ? ` (${found.model.failures} did not answer usefully)` : ""}.`
          : "";
        const message =
          found.found === 0
            ? `Nothing to propose was found in “${file.fileName}”.${model}`
            : `${found.found} found in “${file.fileName}”, ${found.added} new.${model}${found.truncated ? " The file is longer than one run reads: its end was left out." : ""}`;
        return redirectWithToast(context, request, `${base}?file=${file.fileKey}`, message);
      }
      case "accept": {
        const submission = parseWithZod(formData, { schema: decideProposalSchema });
        if (submission.status !== "success")
          return data<ActionResult>({ proposalId, result: submission.reply() }, { status: 400 });
        const decision = await acceptProposal(deps, access, submission.value.proposalId);
        if (!decision) notFound("proposal");
        await announced(decision);
        return redirectWithToast(context, request, back, `“${decision.title}” added, for the GMs only.`);
      }
      case "edit": {
        const submission = parseWithZod(formData, { schema: editProposalSchema });
        if (submission.status !== "success")
          return data<ActionResult>({ proposalId, result: submission.reply() }, { status: 400 });
        const { proposalId: id, ...edited } = submission.value;
        const decision = await acceptProposal(deps, access, id, edited);
        if (!decision) notFound("proposal");
        await announced(decision);
        return redirectWithToast(context, request, back, `“${decision.title}” added, for the GMs only.`);
      }
      case "merge": {
        const submission = parseWithZod(formData, { schema: mergeProposalSchema });
        if (submission.status !== "success")
          return data<ActionResult>({ proposalId, result: submission.reply() }, { status: 400 });
        const decision = await mergeProposal(db, access, submission.value.proposalId, submission.value.target);
        if (!decision) notFound("proposal");
        await announced(decision);
        return redirectWithToast(context, request, back, `Merged into “${decision.title}”.`);
      }
      case "reject": {
        const submission = parseWithZod(formData, { schema: decideProposalSchema });
        if (submission.status !== "success")
          return data<ActionResult>({ proposalId, result: submission.reply() }, { status: 400 });
        if (!(await rejectProposal(db, access, submission.value.proposalId))) notFound("proposal");
        return redirectWithToast(context, request, back, "Rejected. Reading the file again will not propose it again.");
      }
      case "acceptSelected": {
        const submission = parseWithZod(formData, { schema: acceptSelectedSchema });
        if (submission.status !== "success")
          return data<ActionResult>({ proposalId: null, result: submission.reply() }, { status: 400 });
        const { accepted, skipped } = await acceptMany(deps, access, submission.value.selected);
        for (const decision of accepted) await announced(decision);
        const note = skipped ? ` ${skipped} could not be (already decided, or your quota is full).` : "";
        return redirectWithToast(context, request, back, `${accepted.length} added, for the GMs only.${note}`);
      }
      default:
        unknownIntent(intent);
    }
  } catch (error) {
    if (error instanceof Refusal) return failed(proposalId, formData, error.message, error.status);
    throw error;
  }
}

type LoaderData = Route.ComponentProps["loaderData"];
type Row = LoaderData["proposals"][number];

export default function Proposals({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, filter, proposals, total, files, merging } = loaderData;
  const base = `/campaigns/${campaignId}/proposals`;
  const query = (changes: Record<string, string | number | undefined>) => {
    const params = new URLSearchParams();
    const next = { file: filter.file, status: filter.status, page: filter.page, ...changes };
    if (next.file) params.set("file", String(next.file));
    if (next.status !== "pending") params.set("status", String(next.status));
    if (next.page && next.page !== 1) params.set("page", String(next.page));
    if (changes.merge) params.set("merge", String(changes.merge));
    const text = params.toString();
    return text ? `${base}?${text}` : base;
  };
  const here = query({});
  const returnTo = here.includes("?") ? here : `${base}?status=pending`;
  const pages = Math.max(1, Math.ceil(total / PROPOSALS_PER_PAGE));
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const pageError =
    actionData && actionData.proposalId === null
      ? (actionData.result.error?.[""] ?? actionData.result.error?.selected ?? undefined)
      : undefined;
  const chosenFile = files.find((file) => file.fileKey === filter.file);
  const pending = proposals.filter((row) => row.status === "pending");
  return (
    <div className="max-w-3xl space-y-5">
      <header className="space-y-1">
        <h1 className="font-serif text-3xl font-semibold">Proposals from your files</h1>
        <p className="text-stone-700">
          NPCs, monsters, places, items and factions found in the campaign’s files, each with the page or heading it
          came from. Nothing is added until you accept it; what you accept is for the GMs only until you share it.
        </p>
      </header>
      <FormErrors id="proposals-error" errors={pageError} />
      <Form method="get" action={base} className="flex flex-wrap items-end gap-3" aria-label="Filter proposals">
        <div className="w-full sm:w-auto sm:min-w-0 sm:flex-1">
          <label htmlFor="proposal-file" className="block font-medium text-sm">
            File
          </label>
          <select id="proposal-file" name="file" defaultValue={filter.file ?? ""} className={inputClass}>
            <option value="">Every attached file</option>
            {files.map((file) => (
              <option key={file.fileKey} value={file.fileKey}>
                {file.fileName} ({file.pending} waiting)
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="proposal-status" className="block font-medium text-sm">
            Show
          </label>
          <select id="proposal-status" name="status" defaultValue={filter.status} className={inputClass}>
            {proposalStatuses.map((status) => (
              <option key={status} value={status}>
                {proposalStatusLabels[status]}
              </option>
            ))}
            <option value="all">All</option>
          </select>
        </div>
        <Button type="submit" variant="secondary">
          Show
        </Button>
      </Form>
      {chosenFile && chosenFile.status === "ready" ? (
        <Form method="post" action={base} className="flex flex-wrap items-center gap-3">
          <input type="hidden" name="intent" value="find" />
          <input type="hidden" name="fileKey" value={chosenFile.fileKey} />
          <Button type="submit" variant="secondary" pending={busy === "find"}>
            {busy === "find" ? "Reading…" : "Read the file again"}
            <span className="sr-only"> {chosenFile.fileName}</span>
          </Button>
          <span className="text-sm text-stone-600">Adds only what is new; what you decided stays decided.</span>
        </Form>
      ) : null}
      {merging ? <MergePanel merging={merging} returnTo={returnTo} actionData={actionData} /> : null}
      {proposals.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-4">
          {filter.status === "pending" ? "Nothing is waiting for review. " : "No proposals here. "}
          Open the campaign’s{" "}
          <Link to={`/campaigns/${campaignId}/files`} className="text-ember-700 underline">
            Files
          </Link>{" "}
          and choose “Find NPCs, places and items” on a processed file.
        </p>
      ) : (
        <>
          {pending.length ? (
            <Form method="post" action={base} id="accept-selected" className="flex flex-wrap items-center gap-3">
              <input type="hidden" name="intent" value="acceptSelected" />
              <input type="hidden" name="returnTo" value={returnTo} />
              <Button type="submit" pending={busy === "acceptSelected"}>
                Accept selected
              </Button>
              <span className="text-sm text-stone-600">Tick the proposals below, then accept them together.</span>
            </Form>
          ) : null}
          <p className="text-sm text-stone-600">
            {total.toLocaleString("en")} {total === 1 ? "proposal" : "proposals"}
            {pages > 1 ? ` · page ${filter.page} of ${pages}` : ""}
          </p>
          <ul className="space-y-3" aria-label="Proposals">
            {proposals.map((row) => (
              <ProposalItem
                key={row.id}
                row={row}
                campaignId={campaignId}
                returnTo={returnTo}
                mergeHref={query({ merge: row.id })}
                lastResult={actionData?.proposalId === row.id ? actionData.result : undefined}
                busy={busy}
              />
            ))}
          </ul>
          {pages > 1 ? (
            <nav className="flex justify-between" aria-label="Pages">
              {filter.page > 1 ? (
                <Link to={query({ page: filter.page - 1 })} className={linkButtonClass.secondary}>
                  Previous
                </Link>
              ) : (
                <span />
              )}
              {filter.page < pages ? (
                <Link to={query({ page: filter.page + 1 })} className={linkButtonClass.secondary}>
                  Next
                </Link>
              ) : null}
            </nav>
          ) : null}
        </>
      )}
    </div>
  );
}

function targetHref(campaignId: string, row: Pick<Row, "targetKind" | "targetId">) {
  if (!row.targetKind || !row.targetId) return null;
  return `/campaigns/${campaignId}/${row.targetKind === "entry" ? "context" : "characters"}/${row.targetId}`;
}

function ProposalItem({
  row,
  campaignId,
  returnTo,
  mergeHref,
  lastResult,
  busy,
}: {
  row: Row;
  campaignId: string;
  returnTo: string;
  mergeHref: string;
  lastResult: ActionResult["result"] | undefined;
  busy: FormDataEntryValue | null | undefined;
}) {
  const [form, fields] = useForm({
    id: `edit-proposal-${row.id}`,
    lastResult,
    defaultValue: { proposalId: String(row.id), name: row.name, kind: row.kind, excerpt: row.excerpt },
    ...schemaValidation(editProposalSchema),
  });
  const isPending = row.status === "pending";
  const target = targetHref(campaignId, row);
  const checkboxId = `select-proposal-${row.id}`;
  const hidden = (
    <>
      <input type="hidden" name="proposalId" value={row.id} />
      <input type="hidden" name="returnTo" value={returnTo} />
    </>
  );
  return (
    <li className="space-y-2 rounded-lg border border-stone-300 bg-white p-3" aria-labelledby={`proposal-${row.id}`}>
      <div className="flex items-start gap-3">
        {isPending ? (
          <input
            type="checkbox"
            id={checkboxId}
            name="selected"
            value={row.id}
            form="accept-selected"
            className="mt-1 size-6 shrink-0"
            aria-label={`Select ${row.name}`}
          />
        ) : null}
        <div className="min-w-0 flex-1 space-y-1">
          <h2 id={`proposal-${row.id}`} className="break-words font-semibold text-lg">
            {row.name}
          </h2>
          <p className="text-sm text-stone-700">
            <span className="font-medium">{proposalKindLabels[row.kind]}</span> ·{" "}
            <a href={row.source.href} className="break-all text-ember-700 underline">
              {row.source.label}
            </a>
            {isPending ? null : (
              <>
                {" "}
                · {proposalStatusLabels[row.status]}
                {target ? (
                  <>
                    {" "}
                    <Link to={target} className="text-ember-700 underline">
                      open it<span className="sr-only"> ({row.name})</span>
                    </Link>
                  </>
                ) : null}
              </>
            )}
          </p>
        </div>
      </div>
      {row.excerpt ? (
        <p className="max-h-40 overflow-y-auto whitespace-pre-wrap break-words text-sm text-stone-800">{row.excerpt}</p>
      ) : null}
      <FormErrors id={`proposal-${row.id}-error`} errors={lastResult ? form.errors : undefined} />
      {isPending ? (
        <div className="flex flex-wrap gap-2">
          <Form method="post">
            <input type="hidden" name="intent" value="accept" />
            {hidden}
            <Button type="submit" pending={busy === "accept"}>
              Accept<span className="sr-only"> {row.name}</span>
            </Button>
          </Form>
          {row.matches.map((match) => (
            <Form method="post" key={`${match.kind}-${match.id}`}>
              <input type="hidden" name="intent" value="merge" />
              <input type="hidden" name="target" value={mergeTargetValue(match)} />
              {hidden}
              <Button type="submit" variant="secondary" pending={busy === "merge"}>
                Merge into existing “{match.title}”
              </Button>
            </Form>
          ))}
          <Link to={mergeHref} className={linkButtonClass.secondary}>
            Merge…<span className="sr-only"> {row.name}</span>
          </Link>
          <Form method="post">
            <input type="hidden" name="intent" value="reject" />
            {hidden}
            <Button type="submit" variant="ghost" pending={busy === "reject"}>
              Reject<span className="sr-only"> {row.name}</span>
            </Button>
          </Form>
        </div>
      ) : null}
      {isPending ? (
        <details
          className="rounded-md border border-stone-200 p-2"
          open={!!lastResult && lastResult.status === "error"}
        >
          <summary className="flex min-h-11 cursor-pointer items-center font-medium text-ember-700 text-sm">
            Edit, then accept<span className="sr-only"> {row.name}</span>
          </summary>
          <Form method="post" {...getFormProps(form)} className="mt-2 space-y-3">
            <input type="hidden" name="intent" value="edit" />
            {hidden}
            <Field label="Name" id={fields.name.id} errors={fields.name.errors}>
              <input {...getInputProps(fields.name, { type: "text" })} className={inputClass} />
            </Field>
            <Field label="What it is" id={fields.kind.id} errors={fields.kind.errors}>
              <select {...getSelectProps(fields.kind)} className={inputClass}>
                {proposalKinds.map((kind) => (
                  <option key={kind} value={kind}>
                    {proposalKindLabels[kind]}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              label="Text"
              id={fields.excerpt.id}
              errors={fields.excerpt.errors}
              hint="A link to the source is added below it."
            >
              <textarea {...getTextareaProps(fields.excerpt)} rows={5} className={inputClass} />
            </Field>
            <Button type="submit" pending={busy === "edit"}>
              Accept as edited
            </Button>
          </Form>
        </details>
      ) : null}
    </li>
  );
}

function MergePanel({
  merging,
  returnTo,
  actionData,
}: {
  merging: NonNullable<LoaderData["merging"]>;
  returnTo: string;
  actionData: ActionResult | undefined;
}) {
  const { proposal, targets } = merging;
  const errors = actionData?.proposalId === proposal.id ? (actionData.result.error?.[""] ?? undefined) : undefined;
  return (
    <section aria-labelledby="merge-heading" className="space-y-3 rounded-lg border border-ember-300 bg-white p-4">
      <h2 id="merge-heading" className="font-serif text-xl font-semibold">
        Merge “{proposal.name}” into…
      </h2>
      <FormErrors id="merge-error" errors={errors} />
      {targets.length === 0 ? (
        <p className="text-stone-700">There is nothing of that kind to merge into yet. Accept it instead.</p>
      ) : (
        <Form method="post" className="space-y-3">
          <input type="hidden" name="intent" value="merge" />
          <input type="hidden" name="proposalId" value={proposal.id} />
          <input type="hidden" name="returnTo" value={returnTo} />
          <Field
            label={proposal.kind === "npc" || proposal.kind === "monster" ? "Character" : "Entry"}
            id="merge-target"
            hint="Its text and a link to the source are added at the end."
          >
            <select id="merge-target" name="target" className={inputClass} required>
              {targets.map((target) => (
                <option key={`${target.kind}-${target.id}`} value={mergeTargetValue(target)}>
                  {target.title}
                </option>
              ))}
            </select>
          </Field>
          <Button type="submit">Merge</Button>
        </Form>
      )}
    </section>
  );
}

import { parseWithZod } from "@conform-to/zod/v4";
import { data, Link, useNavigation } from "react-router";
import { z } from "zod";
import { ConflictNotice } from "~/components/conflict-notice";
import { DeleteDisclosure } from "~/components/delete-disclosure";
import { SessionForm, type SessionFormValues } from "~/components/session-form";
import type { LiveHandle } from "~/lib/campaign-live";
import type { Audience } from "~/lib/members";
import { sessionAudienceLabels, sessionFormValues, sessionUpdateSchema } from "~/lib/session-schemas";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { EVERYONE, GMS_ONLY, type LiveAudience } from "~/server/campaigns/policy.server";
import { draftRecap } from "~/server/campaigns/session-recap.server";
import {
  type CampaignSession,
  deleteSession,
  getSession,
  playerCharacterOptions,
  SessionRefused,
  updateSession,
} from "~/server/campaigns/sessions.server";
import { chargeDailyQuota } from "~/server/http/daily-quotas.server";
import { rateLimitReply } from "~/server/http/rate-limits.server";
import { notFound, Refusal, unknownIntent } from "~/server/http/responses.server";
import { announce } from "~/server/live/campaign-room.server";
import { getServices, withinRequestLimit } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/edit";

/** Someone else saving this session shows a notice; the form keeps what was typed. */
export const handle: LiveHandle = { live: { editing: "session", param: "sessionId" } };

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Edit session ${loaderData?.values.number ?? ""} — LoreSmith AI` },
];

const audienceOf = (audience: Audience): LiveAudience => (audience === "campaign" ? EVERYONE : GMS_ONLY);

export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { db } = getServices(context);
  const session = await getSession(db, access, parseRowId(params.sessionId, "session"));
  if (!session) notFound("session");
  return {
    campaignId: access.campaign.id,
    sessionId: session.id,
    version: session.version,
    values: sessionFormValues(session),
    playerCharacters: await playerCharacterOptions(db, access.campaign),
  };
}

export async function action({ request, context, params }: Route.ActionArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const sessionId = parseRowId(params.sessionId, "session");
  const services = getServices(context);
  const { db } = services;
  const formData = await request.formData();
  const base = `/campaigns/${campaign.id}/sessions`;
  const saved = await getSession(db, access, sessionId);
  if (!saved) notFound("session");

  const intent = formData.get("intent");
  switch (intent) {
    case "delete": {
      if (!(await deleteSession(db, campaign, sessionId))) notFound("session");
      await announce(services, access, {
        kind: "session",
        id: String(sessionId),
        audience: audienceOf(saved.audience),
      });
      return redirectWithToast(context, request, base, `Session ${saved.number} deleted.`);
    }
    case "draft":
      return draft(context, request, access, saved, formData);
    case "save":
      break;
    default:
      unknownIntent(intent);
  }

  const submission = parseWithZod(formData, { schema: sessionUpdateSchema });
  if (submission.status !== "success") {
    return data(
      { result: submission.reply(), conflict: null, draft: null },
      { status: submission.status === "error" ? 400 : 200 },
    );
  }
  const { version, ...input } = submission.value;
  try {
    const updated = await updateSession(db, campaign, sessionId, version, input);
    if (!updated) notFound("session");
    // Whoever could read it before or can now hears that it changed.
    await announce(
      services,
      access,
      { kind: "session", id: String(sessionId), audience: audienceOf(updated.audience) },
      audienceOf(saved.audience),
    );
    return redirectWithToast(context, request, `${base}/${sessionId}`, "Session saved.");
  } catch (error) {
    if (error instanceof SessionRefused) {
      return data(
        { result: submission.reply({ fieldErrors: { [error.field]: [error.message] } }), conflict: null, draft: null },
        { status: error.status },
      );
    }
    if (!(error instanceof VersionConflictError)) throw error;
    const current = error.current as CampaignSession;
    return data(
      {
        result: submission.reply(),
        conflict: { version: current.version, values: sessionFormValues(current) },
        draft: null,
      },
      { status: 409 },
    );
  }
}

/**
 * "Draft recap": from the form as it stands (the edit page), or from the saved session (the
 * session page's button sends no fields). Answers the form's values with the draft as its
 * recap and the version the form started from; nothing is written.
 */
async function draft(
  context: Route.ActionArgs["context"],
  request: Request,
  access: ReturnType<typeof requireCampaign>,
  saved: NonNullable<Awaited<ReturnType<typeof getSession>>>,
  formData: FormData,
) {
  const services = getServices(context);
  let values: SessionFormValues = sessionFormValues(saved);
  let version = saved.version;
  let subject = {
    id: saved.id,
    number: saved.number,
    title: saved.title,
    playedOn: saved.playedOn,
    notes: saved.notes,
  };
  let audience: Audience = saved.audience;
  if (formData.has("number")) {
    const submission = parseWithZod(formData, { schema: sessionUpdateSchema });
    if (submission.status !== "success") {
      return data({ result: submission.reply(), conflict: null, draft: null }, { status: 400 });
    }
    const { version: from, ...input } = submission.value;
    values = sessionFormValues({ ...input, audience: input.audience ?? "gm" });
    version = from;
    subject = { id: saved.id, number: input.number, title: input.title, playedOn: input.playedOn, notes: input.notes };
    audience = input.audience ?? "gm";
  }
  const model = services.assistant.model;
  if (model) {
    // A model's draft costs what a question does: the same rate limit and daily quota.
    const refusal = async () => {
      if (!(await withinRequestLimit(context, request, "ask"))) return rateLimitReply("ask").message;
      try {
        await chargeDailyQuota(services, access.account.id, "questions");
        return null;
      } catch (error) {
        if (error instanceof Refusal) return error.message;
        throw error;
      }
    };
    const refused = await refusal();
    if (refused) {
      const reply = parseWithZod(formData, { schema: z.object({}) }).reply({ formErrors: [refused] });
      return data({ result: reply, conflict: null, draft: null }, { status: 429 });
    }
  }
  const drafted = await draftRecap(
    { db: services.db, model, deadlines: services.assistant.deadlines },
    access,
    subject,
    audience,
  );
  return data({
    result: null,
    conflict: null,
    draft: {
      id: crypto.randomUUID(),
      provider: drafted.provider,
      notice: drafted.notice,
      audience: drafted.audience,
      sources: drafted.sources,
      values: { ...values, recap: drafted.markdown },
      version,
    },
  });
}

export default function EditSession({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, sessionId, version, values, playerCharacters } = loaderData;
  const navigation = useNavigation();
  const conflict = actionData?.conflict;
  const drafted = actionData?.draft;
  const base = `/campaigns/${campaignId}/sessions/${sessionId}`;
  return (
    <div className="max-w-2xl space-y-6">
      <p>
        <Link to={base} className="text-ember-700 underline">
          ← Back to the session
        </Link>
      </p>
      <h1 className="font-serif text-3xl font-semibold">Edit session {values.number}</h1>
      {conflict ? (
        <ConflictNotice
          discardHref={`${base}/edit`}
          fields={[
            { label: "Number", saved: conflict.values.number },
            { label: "Played on", saved: conflict.values.playedOn },
            { label: "Title", saved: conflict.values.title },
            { label: "Guests", saved: conflict.values.guests },
            { label: "Who can read it", saved: sessionAudienceLabels[conflict.values.audience] },
            { label: "GM notes", saved: conflict.values.notes },
            { label: "Recap", saved: conflict.values.recap },
          ]}
        />
      ) : null}
      <SessionForm
        key={drafted ? `draft-${drafted.id}` : conflict ? `conflict-${conflict.version}` : `v${version}`}
        defaultValue={drafted?.values ?? values}
        playerCharacters={playerCharacters}
        lastResult={actionData?.result}
        version={drafted?.version ?? conflict?.version ?? version}
        submitLabel="Save session"
        conflict={Boolean(conflict)}
        mayDraft
        draft={drafted ?? null}
      />
      <DeleteDisclosure
        what="this session"
        detail="The session, its notes and its recap are removed from the campaign. This cannot be undone."
        pending={navigation.state === "submitting" && navigation.formData?.get("intent") === "delete"}
      />
    </div>
  );
}

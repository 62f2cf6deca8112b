import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "react-router";
import { SessionForm } from "~/components/session-form";
import { sessionSchema } from "~/lib/session-schemas";
import { requireCampaign } from "~/server/campaigns/guards.server";
import { EVERYONE, GMS_ONLY } from "~/server/campaigns/policy.server";
import {
  createSession,
  nextSessionNumber,
  playerCharacterOptions,
  SessionRefused,
} from "~/server/campaigns/sessions.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { announce } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/new";

export const meta: Route.MetaFunction = () => [{ title: "New session — LoreSmith AI" }];

export async function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { db } = getServices(context);
  const [number, playerCharacters] = await Promise.all([
    nextSessionNumber(db, access.campaign),
    playerCharacterOptions(db, access.campaign),
  ]);
  return {
    playerCharacters,
    // The next number, played today: what most sessions are recorded with.
    defaults: { number: String(number), playedOn: new Date().toISOString().slice(0, 10) },
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const submission = parseWithZod(await request.formData(), { schema: sessionSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: submission.status === "error" ? 400 : 200 });
  }
  const services = getServices(context);
  let session: Awaited<ReturnType<typeof createSession>>;
  try {
    session = await createSession(services.db, campaign, submission.value);
  } catch (error) {
    if (error instanceof SessionRefused) {
      return data(submission.reply({ fieldErrors: { [error.field]: [error.message] } }), { status: error.status });
    }
    if (!(error instanceof QuotaExceeded)) throw error;
    return data(submission.reply({ formErrors: [error.message] }), { status: error.status });
  }
  await announce(services, access, {
    kind: "session",
    id: String(session.id),
    audience: session.audience === "campaign" ? EVERYONE : GMS_ONLY,
  });
  return redirectWithToast(
    context,
    request,
    `/campaigns/${campaign.id}/sessions/${session.id}`,
    `Session ${session.number} recorded.`,
  );
}

export default function NewSession({ loaderData, actionData }: Route.ComponentProps) {
  const { playerCharacters, defaults } = loaderData;
  return (
    <div className="max-w-2xl">
      <h1 className="mb-4 font-serif text-3xl font-semibold">New session</h1>
      <SessionForm
        lastResult={actionData}
        playerCharacters={playerCharacters}
        defaultValue={{
          ...defaults,
          title: "",
          attendeeIds: [],
          guests: "",
          notes: "",
          recap: "",
          audience: "gm",
        }}
        submitLabel="Record session"
      />
    </div>
  );
}

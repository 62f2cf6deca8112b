import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "react-router";
import { CharacterForm } from "~/components/character-form";
import { characterSchema } from "~/lib/campaign-schemas";
import { answerDraft } from "~/server/assistant/conversations.server";
import { createCharacter, listSheetOptions, SheetNotFoundError } from "~/server/campaigns/characters.server";
import { requireCampaign } from "~/server/campaigns/guards.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { announce } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/new";

export const meta: Route.MetaFunction = () => [{ title: "New character — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const { db } = getServices(context);
  // "Create NPC from this" on an assistant answer opens this form with the answer as backstory.
  const fromAnswer = new URL(request.url).searchParams.get("fromAnswer");
  const [sheetOptions, draft] = await Promise.all([listSheetOptions(db, access), answerDraft(db, access, fromAnswer)]);
  return { campaignId: campaign.id, sheetOptions, draft };
}

export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const submission = parseWithZod(await request.formData(), { schema: characterSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: submission.status === "error" ? 400 : 200 });
  }
  const services = getServices(context);
  let character: Awaited<ReturnType<typeof createCharacter>>;
  try {
    const { db, limits } = services;
    character = await createCharacter(db, campaign, submission.value, limits.rows.characters, access);
  } catch (error) {
    if (error instanceof QuotaExceeded) {
      return data(submission.reply({ formErrors: [error.message] }), { status: error.status });
    }
    if (!(error instanceof SheetNotFoundError)) throw error;
    return data(submission.reply({ fieldErrors: { sheetFileKey: [error.message] } }), { status: 400 });
  }
  await announce(services, access, { kind: "character", id: String(character.id) });
  return redirectWithToast(
    context,
    request,
    `/campaigns/${campaign.id}/characters/${character.id}`,
    `${character.characterName} added.`,
  );
}

export default function NewCharacter({ loaderData, actionData }: Route.ComponentProps) {
  return (
    <div className="max-w-3xl">
      <h1 className="mb-4 font-serif text-3xl font-semibold">New character</h1>
      {loaderData.draft ? (
        <p className="mb-4 rounded-md border border-sky-300 bg-sky-50 p-3 text-sky-900">
          The backstory holds the assistant's answer to “{loaderData.draft.title}”, with its sources. Check the NPC's
          name and adjust the rest.
        </p>
      ) : null}
      <CharacterForm
        lastResult={actionData}
        submitLabel="Add character"
        sheetOptions={loaderData.sheetOptions}
        defaultValue={
          loaderData.draft
            ? { characterType: "npc", characterName: loaderData.draft.name, backstory: loaderData.draft.markdown }
            : undefined
        }
      />
    </div>
  );
}

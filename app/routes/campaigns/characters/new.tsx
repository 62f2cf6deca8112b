import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "react-router";
import { CharacterForm } from "~/components/character-form";
import { characterSchema } from "~/lib/campaign-schemas";
import { createCharacter, listSheetOptions, SheetNotFoundError } from "~/server/campaigns/characters.server";
import { getCampaignFromContext } from "~/server/campaigns/guards.server";
import { getDb } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/new";

export const meta: Route.MetaFunction = () => [{ title: "New character — LoreSmith AI" }];

export async function loader({ context }: Route.LoaderArgs) {
  const campaign = getCampaignFromContext(context);
  return { campaignId: campaign.id, sheetOptions: await listSheetOptions(getDb(context), campaign) };
}

export async function action({ request, context }: Route.ActionArgs) {
  const campaign = getCampaignFromContext(context);
  const submission = parseWithZod(await request.formData(), { schema: characterSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: submission.status === "error" ? 400 : 200 });
  }
  let character: Awaited<ReturnType<typeof createCharacter>>;
  try {
    character = await createCharacter(getDb(context), campaign, submission.value);
  } catch (error) {
    if (!(error instanceof SheetNotFoundError)) throw error;
    return data(submission.reply({ fieldErrors: { sheetFileKey: [error.message] } }), { status: 400 });
  }
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
      <CharacterForm lastResult={actionData} submitLabel="Add character" sheetOptions={loaderData.sheetOptions} />
    </div>
  );
}

import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "react-router";
import { CharacterForm } from "~/components/character-form";
import { characterSchema } from "~/lib/campaign-schemas";
import { createCharacter } from "~/server/campaigns/characters.server";
import { getCampaignFromContext } from "~/server/campaigns/guards.server";
import { getDb } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/new";

export const meta: Route.MetaFunction = () => [{ title: "New character — LoreSmith AI" }];

export function loader({ context }: Route.LoaderArgs) {
  return { campaignId: getCampaignFromContext(context).id };
}

export async function action({ request, context }: Route.ActionArgs) {
  const campaign = getCampaignFromContext(context);
  const submission = parseWithZod(await request.formData(), { schema: characterSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: submission.status === "error" ? 400 : 200 });
  }
  const character = await createCharacter(getDb(context), campaign, submission.value);
  return redirectWithToast(
    context,
    request,
    `/campaigns/${campaign.id}/characters/${character.id}`,
    `${character.characterName} added.`,
  );
}

export default function NewCharacter({ actionData }: Route.ComponentProps) {
  return (
    <div className="max-w-3xl">
      <h1 className="mb-4 font-serif text-3xl font-semibold">New character</h1>
      <CharacterForm lastResult={actionData} submitLabel="Add character" />
    </div>
  );
}

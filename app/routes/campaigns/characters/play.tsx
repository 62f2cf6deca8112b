import { parseWithZod } from "@conform-to/zod/v4";
import { data, Link } from "react-router";
import { CharacterForm, type CharacterFormValues, characterFormValues } from "~/components/character-form";
import type { LiveHandle } from "~/lib/campaign-live";
import { playerCharacterSchema } from "~/lib/campaign-schemas";
import { type PlayerEditableField, playerFieldLabels } from "~/lib/members";
import { getCharacter } from "~/server/campaigns/characters.server";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { backstoryIsPlayers, playableFields, updateAsPlayer } from "~/server/campaigns/player-characters.server";
import { notFound } from "~/server/http/responses.server";
import { announced } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/play";

/** A GM saving the character meanwhile shows a notice; the form keeps what was typed. */
export const handle: LiveHandle = { live: { editing: "character", param: "characterId" } };

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Edit ${loaderData?.values.characterName ?? "my character"} — LoreSmith AI` },
];

/** The player's own character: the fields the GMs let them change (404 for anyone else). */
export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "playCharacter");
  const { db } = getServices(context);
  const characterId = parseRowId(params.characterId, "character");
  const [playable, character] = await Promise.all([
    playableFields(db, access, characterId),
    getCharacter(db, access, characterId),
  ]);
  if (!playable || !character) notFound("character");
  return {
    campaignId: access.campaign.id,
    characterId,
    version: playable.version,
    fields: playable.fields,
    // The backstory was left to them but holds a GM's secret: it stays the GMs' for now.
    backstoryKept: character.playerFields.includes("backstory") && !playable.fields.includes("backstory"),
    values: playerFormValues(characterFormValues(character), playable.fields),
  };
}

/** Only what the player may change leaves the server, beside the name the heading shows. */
function playerFormValues(
  all: CharacterFormValues,
  fields: readonly PlayerEditableField[],
): Partial<CharacterFormValues> & { characterName: string } {
  const { characterName, ancestry, characterClass, level, alignment, stats, backstory } = all;
  return {
    characterName,
    ...(fields.includes("details") ? { ancestry, characterClass, level, alignment } : {}),
    ...(fields.includes("stats") ? { stats } : {}),
    ...(fields.includes("backstory") ? { backstory } : {}),
  };
}

export async function action({ request, context, params }: Route.ActionArgs) {
  const access = requireCampaign(context, "playCharacter");
  const characterId = parseRowId(params.characterId, "character");
  const services = getServices(context);
  const submission = parseWithZod(await request.formData(), { schema: playerCharacterSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply(), version: null }, { status: 400 });
  }
  if (!backstoryIsPlayers(submission.value.backstory)) {
    // Their own secret block would hide their words from themselves: the fence is the GMs'.
    const reply = submission.reply({
      fieldErrors: { backstory: ["Secret blocks are for the GMs: remove the ```secret fence and save again."] },
    });
    return data({ result: reply, version: null }, { status: 400 });
  }
  try {
    const saved = await announced(services, access, { kind: "character", id: String(characterId) }, () =>
      updateAsPlayer(services.db, access, characterId, submission.value),
    );
    if (!saved) notFound("character");
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const current = await playableFields(services.db, access, characterId);
    if (!current) notFound("character");
    return data(
      {
        result: submission.reply({
          formErrors: [
            "Your GM changed this character while you were editing. Save again to keep your version, or reload the page to see theirs.",
          ],
        }),
        version: current.version,
      },
      { status: 409 },
    );
  }
  return redirectWithToast(
    context,
    request,
    `/campaigns/${access.campaign.id}/characters/${characterId}`,
    "Your character is saved.",
  );
}

export default function PlayCharacter({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, characterId, version, fields, backstoryKept, values } = loaderData;
  const base = `/campaigns/${campaignId}/characters/${characterId}`;
  return (
    <div className="max-w-3xl space-y-6">
      <p>
        <Link to={base} className="text-ember-700 underline">
          ← Back to {values.characterName}
        </Link>
      </p>
      <header>
        <h1 className="font-serif text-3xl font-semibold">Edit {values.characterName}</h1>
        <p className="text-stone-700">
          {fields.length
            ? `Your GM lets you change: ${fields.map((field) => playerFieldLabels[field].toLowerCase()).join("; ")}.`
            : "There is nothing here for you to change right now."}
          {backstoryKept ? " The backstory holds something only the GMs see, so it is theirs to edit for now." : ""}
        </p>
      </header>
      {fields.length ? (
        <CharacterForm
          key={`v${version}`}
          only={fields}
          defaultValue={values}
          lastResult={actionData?.result}
          version={actionData?.version ?? version}
          submitLabel="Save my character"
          sheetOptions={[]}
        />
      ) : null}
    </div>
  );
}

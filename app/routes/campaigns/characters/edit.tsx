import { parseWithZod } from "@conform-to/zod/v4";
import { data, Link, useNavigation } from "react-router";
import { CharacterForm, characterFormValues } from "~/components/character-form";
import { ConflictNotice } from "~/components/conflict-notice";
import { DeleteDisclosure } from "~/components/delete-disclosure";
import type { LiveHandle } from "~/lib/campaign-live";
import { characterUpdateSchema } from "~/lib/campaign-schemas";
import { characterStatusLabels, characterTypeLabels } from "~/lib/domain";
import {
  type Character,
  deleteCharacter,
  getCharacter,
  listSheetOptions,
  SheetNotFoundError,
  updateCharacter,
} from "~/server/campaigns/characters.server";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { keptNameNotice } from "~/server/campaigns/links.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { announced } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/edit";

/** Someone else saving this character shows a notice; the form keeps what was typed. */
export const handle: LiveHandle = { live: { editing: "character", param: "characterId" } };

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Edit ${loaderData?.values.characterName ?? "character"} — LoreSmith AI` },
];

export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const { db } = getServices(context);
  const character = await getCharacter(db, access, parseRowId(params.characterId, "character"));
  if (!character) notFound("character");
  return {
    campaignId: campaign.id,
    characterId: character.id,
    version: character.version,
    values: characterFormValues(character),
    sheetOptions: await listSheetOptions(db, access),
  };
}

export async function action({ request, context, params }: Route.ActionArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const characterId = parseRowId(params.characterId, "character");
  const services = getServices(context);
  const { db } = services;
  const formData = await request.formData();
  const base = `/campaigns/${campaign.id}/characters`;
  // Whoever could see the character hears that it changed (or went).
  const subject = { kind: "character", id: String(characterId) } as const;

  const intent = formData.get("intent");
  switch (intent) {
    case "delete": {
      const character = await getCharacter(db, access, characterId);
      const deleted =
        character && (await announced(services, access, subject, () => deleteCharacter(db, campaign, characterId)));
      if (!character || !deleted) notFound("character");
      return redirectWithToast(context, request, base, `${character.characterName} deleted.`);
    }
    case "save":
      break;
    default:
      unknownIntent(intent);
  }

  const submission = parseWithZod(formData, { schema: characterUpdateSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply(), conflict: null }, { status: submission.status === "error" ? 400 : 200 });
  }
  const { version, ...input } = submission.value;
  try {
    const saved = await announced(services, access, subject, () =>
      updateCharacter(db, campaign, characterId, version, input, access),
    );
    if (!saved) notFound("character");
    return redirectWithToast(
      context,
      request,
      `${base}/${characterId}`,
      `${saved.characterName} saved.${keptNameNotice(saved, input)}`,
    );
  } catch (error) {
    if (error instanceof SheetNotFoundError) {
      return data(
        { result: submission.reply({ fieldErrors: { sheetFileKey: [error.message] } }), conflict: null },
        { status: 400 },
      );
    }
    if (!(error instanceof VersionConflictError)) throw error;
    const current = error.current as Character;
    return data(
      { result: submission.reply(), conflict: { version: current.version, values: characterFormValues(current) } },
      { status: 409 },
    );
  }
}

export default function EditCharacter({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, characterId, version, values, sheetOptions } = loaderData;
  const navigation = useNavigation();
  const conflict = actionData?.conflict;
  const base = `/campaigns/${campaignId}/characters/${characterId}`;
  return (
    <div className="max-w-3xl space-y-6">
      <p>
        <Link to={base} className="text-ember-700 underline">
          ← Back to {values.characterName}
        </Link>
      </p>
      <h1 className="font-serif text-3xl font-semibold">Edit {values.characterName}</h1>
      {conflict ? (
        <ConflictNotice
          discardHref={`${base}/edit`}
          fields={[
            { label: "Name", saved: conflict.values.characterName },
            {
              label: "PC or NPC",
              saved: characterTypeLabels[conflict.values.characterType as keyof typeof characterTypeLabels],
            },
            {
              label: "Status",
              saved: characterStatusLabels[conflict.values.status as keyof typeof characterStatusLabels],
            },
            { label: "Player", saved: conflict.values.playerName },
            { label: "Ancestry", saved: conflict.values.ancestry },
            { label: "Class", saved: conflict.values.characterClass },
            { label: "Level", saved: conflict.values.level },
            { label: "Alignment", saved: conflict.values.alignment },
            { label: "Stats", saved: conflict.values.stats.map((s) => `${s.key}: ${s.value}`).join("\n") },
            { label: "Backstory", saved: conflict.values.backstory },
          ]}
        />
      ) : null}
      <CharacterForm
        key={conflict ? `conflict-${conflict.version}` : `v${version}`}
        defaultValue={values}
        lastResult={actionData?.result}
        version={conflict?.version ?? version}
        submitLabel="Save character"
        conflict={Boolean(conflict)}
        sheetOptions={sheetOptions}
      />
      <DeleteDisclosure
        what="this character"
        detail="The character is removed from the campaign and from search. This cannot be undone."
        pending={navigation.state === "submitting" && navigation.formData?.get("intent") === "delete"}
      />
    </div>
  );
}

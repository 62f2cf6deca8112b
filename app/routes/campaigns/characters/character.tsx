import { data, Form, Link, useNavigation } from "react-router";
import { AlsoKnownAs, Backlinks } from "~/components/backlinks";
import { MarkdownView } from "~/components/markdown";
import { RelationsSection } from "~/components/relations-section";
import { RevealPanel } from "~/components/reveal-panel";
import { Button, linkButtonClass } from "~/components/ui/button";
import { inputClass } from "~/components/ui/field";
import { characterPlayerSchema } from "~/lib/campaign-schemas";
import { characterStatusLabels, characterTypeLabels } from "~/lib/domain";
import { fileLinks } from "~/lib/file-links";
import { audienceLabels, playerEditableFields, playerFieldLabels } from "~/lib/members";
import { getCharacter } from "~/server/campaigns/characters.server";
import { mayAlso, parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { backlinksTo, renderLinked } from "~/server/campaigns/links.server";
import { assignPlayer } from "~/server/campaigns/player-characters.server";
import { mayPlay } from "~/server/campaigns/policy.server";
import { handleRelationForm, relationIntents, relationsOf, relationTargets } from "~/server/campaigns/relations.server";
import { getCampaignFile } from "~/server/campaigns/resources.server";
import { handleRevealForm, revealableMembers, revealPanel } from "~/server/campaigns/reveals.server";
import { getFile } from "~/server/files/files.server";
import { notFound } from "~/server/http/responses.server";
import { announced } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/character";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.character.characterName ?? "Character"} — LoreSmith AI` },
];

export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const { campaign } = access;
  const { db } = getServices(context);
  const character = await getCharacter(db, access, parseRowId(params.characterId, "character"));
  if (!character) notFound("character");
  // The owner opens the sheet in their library; anyone else only if it is a campaign file they may read.
  const ownLibrary = mayAlso(context, "manageFiles");
  const sheet = !character.sheetFileKey
    ? undefined
    : ownLibrary
      ? await getFile(db, campaign.username, character.sheetFileKey)
      : mayAlso(context, "readFiles")
        ? await getCampaignFile(db, access, character.sheetFileKey)
        : undefined;
  const links = fileLinks(ownLibrary ? null : campaign.id);
  const seesSecrets = mayAlso(context, "seeSecrets");
  const mayEdit = mayAlso(context, "editMaterial");
  return {
    campaignId: campaign.id,
    mayEdit,
    relations: await relationsOf(db, access, { kind: "character", id: character.id }),
    relationTargets: mayEdit ? await relationTargets(db, access) : null,
    // The GMs choose who plays it and what that player may change; the player gets their edit page.
    playedBy: mayEdit
      ? {
          playerId: character.playerId,
          playerFields: character.playerFields,
          players: (await revealableMembers(db, campaign)).filter((member) => member.role === "player"),
        }
      : null,
    mayPlay: mayAlso(context, "playCharacter") && mayPlay(access, character),
    reveals: await revealPanel(db, access, { kind: "character", id: String(character.id) }, character.audience),
    now: Date.now(),
    backlinks: await backlinksTo(db, access, {
      kind: "character",
      id: character.id,
      names: [character.characterName, ...character.aliases],
    }),
    audience: seesSecrets ? character.audience : null,
    character: {
      id: character.id,
      characterName: character.characterName,
      aliases: character.aliases,
      characterType: character.characterType,
      status: character.status,
      details: character.details,
      backstoryHtml: await renderLinked(db, access, character.backstory),
      sheet: sheet ? { href: links.bytes(sheet.fileKey), fileName: sheet.fileName } : null,
    },
  };
}

/**
 * The GMs reveal the character to chosen players, share it with everyone, or hide it again
 * (RevealPanel), name who plays it, and add and remove its relations (RelationsSection).
 */
export async function action({ request, context, params }: Route.ActionArgs) {
  const characterId = parseRowId(params.characterId, "character");
  const subject = { kind: "character", id: String(characterId) } as const;
  const services = getServices(context);
  const formData = await request.formData();
  if (relationIntents.includes(String(formData.get("intent")))) {
    const access = requireCampaign(context, "editMaterial");
    const here = { kind: "character", id: characterId } as const;
    const outcome = await handleRelationForm(services.db, access, here, formData);
    if ("result" in outcome) return data({ relationResult: outcome.result }, { status: outcome.status });
    return redirectWithToast(
      context,
      request,
      `/campaigns/${access.campaign.id}/characters/${characterId}`,
      outcome.message,
    );
  }
  if (formData.get("intent") === "player") {
    const access = requireCampaign(context, "editMaterial");
    const parsed = characterPlayerSchema.safeParse({
      playerId: formData.get("playerId") || undefined,
      playerFields: formData.getAll("playerFields"),
    });
    const assigned =
      parsed.success &&
      (await announced(services, access, subject, () =>
        assignPlayer(services.db, access, characterId, parsed.data.playerId ?? null, parsed.data.playerFields),
      ));
    if (!assigned) notFound("character or player");
    return redirectWithToast(
      context,
      request,
      `/campaigns/${access.campaign.id}/characters/${characterId}`,
      parsed.data.playerId ? "Player saved. They can open this character now." : "Nobody plays this character now.",
    );
  }
  const access = requireCampaign(context, "reveal");
  const message = await announced(services, access, subject, () =>
    handleRevealForm(services.db, access, subject, formData),
  );
  if (!message) notFound("character");
  return redirectWithToast(context, request, `/campaigns/${access.campaign.id}/characters/${characterId}`, message);
}

export default function CharacterPage({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, mayEdit, mayPlay, playedBy, audience, reveals, now, character } = loaderData;
  const base = `/campaigns/${campaignId}/characters`;
  const { details } = character;
  const facts = [
    ["Player", details.playerName],
    ["Ancestry", details.ancestry],
    ["Class", details.characterClass],
    ["Level", details.level === undefined ? undefined : String(details.level)],
    ["Alignment", details.alignment],
  ].filter((fact): fact is [string, string] => Boolean(fact[1]));
  return (
    <>
      <article className="max-w-3xl space-y-4">
        <p>
          <Link to={base} className="text-ember-700 underline">
            ← Characters
          </Link>
        </p>
        <header className="flex flex-wrap items-start justify-between gap-3">
          <div>
            <h1 className="font-serif text-3xl font-semibold">{character.characterName}</h1>
            <p className="text-stone-700">
              {characterTypeLabels[character.characterType]} · {characterStatusLabels[character.status]}
              {audience ? ` · ${audienceLabels[audience]}` : ""}
            </p>
            <AlsoKnownAs names={character.aliases} />
          </div>
          {mayEdit ? (
            <Link to={`${base}/${character.id}/edit`} className={linkButtonClass.secondary}>
              Edit character
            </Link>
          ) : mayPlay ? (
            <Link to={`${base}/${character.id}/play`} className={linkButtonClass.secondary}>
              Edit my character
            </Link>
          ) : null}
        </header>
        {facts.length || details.stats.length ? (
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 rounded-lg border border-stone-300 bg-white p-4">
            {[...facts, ...details.stats.map((s) => [s.key, s.value] as [string, string])].map(([label, value]) => (
              <div key={`${label}:${value}`} className="contents">
                <dt className="font-medium">{label}</dt>
                <dd className="break-words">{value}</dd>
              </div>
            ))}
          </dl>
        ) : null}
        {character.sheet ? (
          <p>
            Character sheet:{" "}
            <a href={character.sheet.href} target="_blank" rel="noopener" className="text-ember-700 underline">
              {character.sheet.fileName}
            </a>
          </p>
        ) : null}
        <section aria-labelledby="backstory-heading" className="rounded-lg border border-stone-300 bg-white p-4">
          <h2 id="backstory-heading" className="mb-2 font-serif text-xl font-semibold">
            Backstory
          </h2>
          <MarkdownView html={character.backstoryHtml} empty="No backstory yet." />
          <Backlinks links={loaderData.backlinks} />
        </section>
      </article>
      <RelationsSection
        name={character.characterName}
        here={{ kind: "character", id: character.id }}
        relations={loaderData.relations.relations}
        more={loaderData.relations.more}
        targets={loaderData.relationTargets}
        lastResult={actionData?.relationResult}
        relationsHref={`/campaigns/${campaignId}/relations`}
      />
      {playedBy ? <PlayedByPanel data={playedBy} /> : null}
      {reveals ? <RevealPanel data={reveals} what="character" now={now} /> : null}
    </>
  );
}

type PlayedBy = NonNullable<Route.ComponentProps["loaderData"]["playedBy"]>;

/** For the GMs: who plays this character, and what that player may change on it. */
function PlayedByPanel({ data }: { data: PlayedBy }) {
  const navigation = useNavigation();
  const pending = navigation.state === "submitting" && navigation.formData?.get("intent") === "player";
  return (
    <section
      aria-labelledby="played-by-heading"
      className="mt-6 max-w-3xl space-y-3 rounded-lg border border-stone-300 bg-white p-4"
    >
      <h2 id="played-by-heading" className="font-serif text-xl font-semibold">
        Played by
      </h2>
      {data.players.length ? (
        <Form method="post" className="space-y-3">
          <input type="hidden" name="intent" value="player" />
          <div className="space-y-1">
            <label htmlFor="player-id" className="block font-medium text-sm">
              Player
            </label>
            <select id="player-id" name="playerId" defaultValue={data.playerId ?? ""} className={inputClass}>
              <option value="">Nobody (the GMs play it)</option>
              {data.players.map((player) => (
                <option key={player.accountId} value={player.accountId}>
                  {player.username}
                </option>
              ))}
            </select>
          </div>
          <fieldset className="space-y-1">
            <legend className="font-medium text-sm">They may change</legend>
            {playerEditableFields.map((field) => (
              <label key={field} className="flex min-h-11 items-center gap-2">
                <input
                  type="checkbox"
                  name="playerFields"
                  value={field}
                  defaultChecked={data.playerFields.includes(field)}
                  className="size-5"
                />
                {playerFieldLabels[field]}
              </label>
            ))}
            <p className="text-sm text-stone-600">
              A backstory with a secret block stays yours to edit: the player cannot see all of it.
            </p>
          </fieldset>
          <Button type="submit" variant="secondary" pending={pending}>
            Save player
          </Button>
        </Form>
      ) : (
        <p className="text-stone-700">Invite a player from the Members tab to let them play this character.</p>
      )}
    </section>
  );
}

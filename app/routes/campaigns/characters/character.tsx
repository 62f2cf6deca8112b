import { Link } from "react-router";
import { MarkdownView } from "~/components/markdown";
import { RevealPanel } from "~/components/reveal-panel";
import { linkButtonClass } from "~/components/ui/button";
import { characterStatusLabels, characterTypeLabels } from "~/lib/domain";
import { fileLinks } from "~/lib/file-links";
import { audienceLabels } from "~/lib/members";
import { getCharacter } from "~/server/campaigns/characters.server";
import { mayAlso, parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { getCampaignFile } from "~/server/campaigns/resources.server";
import { handleRevealForm, revealPanel } from "~/server/campaigns/reveals.server";
import { renderForReader } from "~/server/campaigns/secrets.server";
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
  return {
    campaignId: campaign.id,
    mayEdit: mayAlso(context, "editMaterial"),
    reveals: await revealPanel(db, access, { kind: "character", id: String(character.id) }, character.audience),
    now: Date.now(),
    audience: seesSecrets ? character.audience : null,
    character: {
      id: character.id,
      characterName: character.characterName,
      characterType: character.characterType,
      status: character.status,
      details: character.details,
      backstoryHtml: renderForReader(character.backstory, access),
      sheet: sheet ? { href: links.bytes(sheet.fileKey), fileName: sheet.fileName } : null,
    },
  };
}

/** The GMs reveal the character to chosen players, share it with everyone, or hide it again (RevealPanel). */
export async function action({ request, context, params }: Route.ActionArgs) {
  const access = requireCampaign(context, "reveal");
  const characterId = parseRowId(params.characterId, "character");
  const subject = { kind: "character", id: String(characterId) } as const;
  const services = getServices(context);
  const formData = await request.formData();
  const message = await announced(services, access, subject, () =>
    handleRevealForm(services.db, access, subject, formData),
  );
  if (!message) notFound("character");
  return redirectWithToast(context, request, `/campaigns/${access.campaign.id}/characters/${characterId}`, message);
}

export default function CharacterPage({ loaderData }: Route.ComponentProps) {
  const { campaignId, mayEdit, audience, reveals, now, character } = loaderData;
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
          </div>
          {mayEdit ? (
            <Link to={`${base}/${character.id}/edit`} className={linkButtonClass.secondary}>
              Edit character
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
        </section>
      </article>
      {reveals ? <RevealPanel data={reveals} what="character" now={now} /> : null}
    </>
  );
}

import { Link } from "react-router";
import { MarkdownView } from "~/components/markdown";
import { linkButtonClass } from "~/components/ui/button";
import { characterStatusLabels, characterTypeLabels } from "~/lib/domain";
import { fileLinks } from "~/lib/file-links";
import { getCharacter } from "~/server/campaigns/characters.server";
import { mayAlso, parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { getCampaignFile } from "~/server/campaigns/resources.server";
import { notFound } from "~/server/http/responses.server";
import { renderMarkdown } from "~/server/markdown.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/character";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.character.characterName ?? "Character"} — LoreSmith AI` },
];

export async function loader({ context, params }: Route.LoaderArgs) {
  const { campaign } = requireCampaign(context, "view");
  const { db } = getServices(context);
  const character = await getCharacter(db, campaign, parseRowId(params.characterId, "character"));
  if (!character) notFound("character");
  const sheet =
    character.sheetFileKey && mayAlso(context, "readFiles")
      ? await getCampaignFile(db, campaign, character.sheetFileKey)
      : undefined;
  return {
    campaignId: campaign.id,
    mayEdit: mayAlso(context, "editMaterial"),
    character: {
      id: character.id,
      characterName: character.characterName,
      characterType: character.characterType,
      status: character.status,
      details: character.details,
      backstoryHtml: renderMarkdown(character.backstory),
      sheet: sheet ? { fileKey: sheet.fileKey, fileName: sheet.fileName } : null,
    },
  };
}

export default function CharacterPage({ loaderData }: Route.ComponentProps) {
  const { campaignId, mayEdit, character } = loaderData;
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
          <a
            href={fileLinks(campaignId).bytes(character.sheet.fileKey)}
            target="_blank"
            rel="noopener"
            className="text-ember-700 underline"
          >
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
  );
}

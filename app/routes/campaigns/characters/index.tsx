import { Link } from "react-router";
import { linkButtonClass } from "~/components/ui/button";
import { FilterForm, FilterSelect } from "~/components/ui/filters";
import { characterListQuerySchema } from "~/lib/campaign-schemas";
import { characterStatusLabels, characterTypeLabels } from "~/lib/domain";
import { listCharacters } from "~/server/campaigns/characters.server";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/index";

export const meta: Route.MetaFunction = () => [{ title: "Characters — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const filter = characterListQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const characters = await listCharacters(getServices(context).db, access, filter);
  const seesSecrets = mayAlso(context, "seeSecrets");
  return {
    campaignId: access.campaign.id,
    mayEdit: mayAlso(context, "editMaterial"),
    filter,
    characters: characters.map((c) => ({
      id: c.id,
      characterName: c.characterName,
      characterType: c.characterType,
      status: c.status,
      summary: [c.details.ancestry, c.details.characterClass, c.details.level ? `level ${c.details.level}` : undefined]
        .filter(Boolean)
        .join(" · "),
      playerName: c.details.playerName,
      gmOnly: seesSecrets && c.audience === "gm",
    })),
  };
}

export default function Characters({ loaderData }: Route.ComponentProps) {
  const { campaignId, mayEdit, filter, characters } = loaderData;
  const base = `/campaigns/${campaignId}/characters`;
  return (
    <>
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <h1 className="font-serif text-3xl font-semibold">Characters</h1>
        {mayEdit ? (
          <Link to={`${base}/new`} className={linkButtonClass.primary}>
            New character
          </Link>
        ) : null}
      </div>
      <FilterForm>
        <FilterSelect
          id="filter-kind"
          name="kind"
          label="PC or NPC"
          value={filter.kind}
          options={[
            ["all", "Everyone"],
            ["pc", "Player characters"],
            ["npc", "NPCs"],
          ]}
        />
        <FilterSelect
          id="filter-status"
          name="status"
          label="Status"
          value={filter.status}
          options={[["all", "Any status"], ...Object.entries(characterStatusLabels)]}
        />
      </FilterForm>
      {characters.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-6 text-center">
          {filter.kind === "all" && filter.status === "all"
            ? mayEdit
              ? "No characters yet. Add the party and the people they meet."
              : "No character has been shared with you here yet."
            : "No character matches these filters."}
        </p>
      ) : (
        <ul className="grid gap-3 sm:grid-cols-2" aria-label="Characters">
          {characters.map((character) => (
            <li key={character.id}>
              <Link
                to={`${base}/${character.id}`}
                className="block h-full rounded-lg border border-stone-300 bg-white p-4 hover:border-ember-600"
              >
                <span className="flex flex-wrap items-baseline justify-between gap-2">
                  <span className="font-semibold text-lg">{character.characterName}</span>
                  <span className="text-sm text-stone-700">
                    {characterTypeLabels[character.characterType]}
                    {character.status !== "alive" ? ` · ${characterStatusLabels[character.status]}` : ""}
                    {character.gmOnly ? " · GMs only" : ""}
                  </span>
                </span>
                {character.summary ? <span className="block text-stone-700">{character.summary}</span> : null}
                {character.playerName ? (
                  <span className="block text-sm text-stone-600">Played by {character.playerName}</span>
                ) : null}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

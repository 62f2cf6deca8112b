import { useRef } from "react";
import { Form, Link } from "react-router";
import { FileStatusNote } from "~/components/file-progress";
import { MarkdownView } from "~/components/markdown";
import { SuggestedQuestions } from "~/components/question-box";
import { Button } from "~/components/ui/button";
import { characterStatusLabels, contextTypeLabels } from "~/lib/domain";
import { fileLinks } from "~/lib/file-links";
import { formatDate, formatRelative } from "~/lib/format";
import { useDelegatedLinks } from "~/lib/use-delegated-links";
import { campaignOverviewModel } from "~/server/campaigns/campaigns.server";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { getServices } from "~/server/request.server";
import { sampleQuestions } from "~/server/sample/content.server";
import type { Route } from "./+types/overview";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.campaign.name ?? "Campaign"} — LoreSmith AI` },
];

export async function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const { campaign } = access;
  const { descriptionHtml, ...overview } = await campaignOverviewModel(getServices(context), access);
  const seesSecrets = mayAlso(context, "seeSecrets");
  return {
    campaign: { id: campaign.id, name: campaign.name, metadata: campaign.metadata, descriptionHtml },
    seesSecrets,
    mayEdit: mayAlso(context, "editMaterial"),
    ...overview,
    managesFiles: mayAlso(context, "manageFiles"),
    // The sample campaign shows what to try, and how to remove it (its owner).
    sample: campaign.sample
      ? { questions: sampleQuestions, mayAsk: mayAlso(context, "useAssistant"), mayRemove: access.role === "owner" }
      : null,
    now: Date.now(),
  };
}

const addLinkClass =
  "inline-flex min-h-11 items-center rounded-md border border-stone-400 bg-white px-3 font-medium hover:bg-stone-100";

export default function CampaignOverview({ loaderData }: Route.ComponentProps) {
  const {
    campaign,
    entryCount,
    entryGroups,
    characterCount,
    characters,
    resources,
    recent,
    managesFiles,
    seesSecrets,
    mayEdit,
    sample,
    now,
  } = loaderData;
  const base = `/campaigns/${campaign.id}`;
  const entryLinks = useRef<HTMLElement>(null);
  const characterLinks = useRef<HTMLElement>(null);
  useDelegatedLinks(entryLinks);
  useDelegatedLinks(characterLinks);
  const recentLinks = useRef<HTMLElement>(null);
  useDelegatedLinks(recentLinks);
  const facts = [
    ["Game system", campaign.metadata.system],
    ["Setting", campaign.metadata.setting],
    ["Next session", campaign.metadata.nextSessionAt ? formatDate(campaign.metadata.nextSessionAt) : undefined],
    ["Tags", campaign.metadata.tags?.join(", ")],
  ].filter((fact): fact is [string, string] => Boolean(fact[1]));

  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <div className="space-y-6 lg:col-span-2">
        <h1 className="font-serif text-3xl font-semibold">{campaign.name}</h1>
        {facts.length ? (
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            {facts.map(([label, value]) => (
              <div key={label} className="contents">
                <dt className="font-medium">{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        ) : null}
        {sample ? <SampleNotice campaignId={campaign.id} {...sample} /> : null}

        {/* The links to entries, characters and recent changes are plain anchors navigated by one listener each (useDelegatedLinks). */}
        <section aria-labelledby="context-heading" className="space-y-3" ref={entryLinks}>
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h2 id="context-heading" className="font-serif text-2xl font-semibold">
              Lore &amp; context <span className="text-base text-stone-600">({entryCount})</span>
            </h2>
            {mayEdit ? (
              <Link to={`${base}/context/new`} className={addLinkClass}>
                Add entry
              </Link>
            ) : null}
          </div>
          {entryGroups.length === 0 ? (
            <p className="text-stone-700">
              {mayEdit
                ? "No entries yet: locations, factions, plot hooks and house rules go here."
                : "Nothing has been shared with you yet. Your GM decides what you see."}
            </p>
          ) : (
            entryGroups.map((group) => (
              <div key={group.type}>
                <h3 className="font-semibold">
                  <a href={`${base}/context?type=${group.type}`} className="hover:underline">
                    {contextTypeLabels[group.type]} ({group.count})
                  </a>
                </h3>
                <ul className="mt-1 flex flex-wrap gap-2">
                  {group.items.map((entry) => (
                    <li key={entry.id}>
                      <a
                        href={`${base}/context/${entry.id}`}
                        className="inline-flex min-h-11 items-center rounded-md border border-stone-300 bg-white px-3 hover:border-ember-600"
                      >
                        {entry.title}
                        {seesSecrets && entry.audience === "gm" ? (
                          <span className="ml-2 text-stone-600 text-xs">GMs only</span>
                        ) : null}
                      </a>
                    </li>
                  ))}
                  {group.count > group.items.length ? (
                    <li>
                      <a
                        href={`${base}/context?type=${group.type}`}
                        aria-label={`All ${group.count} ${contextTypeLabels[group.type]} entries`}
                        className="inline-flex min-h-11 items-center px-3 text-ember-700 underline"
                      >
                        See all {group.count}
                      </a>
                    </li>
                  ) : null}
                </ul>
              </div>
            ))
          )}
        </section>

        <section aria-labelledby="characters-heading" className="space-y-3" ref={characterLinks}>
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h2 id="characters-heading" className="font-serif text-2xl font-semibold">
              Characters <span className="text-base text-stone-600">({characterCount})</span>
            </h2>
            {mayEdit ? (
              <Link to={`${base}/characters/new`} className={addLinkClass}>
                Add character
              </Link>
            ) : null}
          </div>
          {characters.length === 0 ? (
            <p className="text-stone-700">
              {mayEdit
                ? "No characters yet: add the party and the NPCs they meet."
                : "No character has been shared with you yet."}
            </p>
          ) : (
            <ul className="grid gap-2 sm:grid-cols-2">
              {characters.map((character) => (
                <li key={character.id}>
                  <a
                    href={`${base}/characters/${character.id}`}
                    className="flex min-h-11 items-center justify-between gap-2 rounded-md border border-stone-300 bg-white px-3 py-2 hover:border-ember-600"
                  >
                    <span className="font-medium">{character.characterName}</span>
                    <span className="text-sm text-stone-700">
                      {character.characterType === "pc" ? "PC" : "NPC"}
                      {character.status !== "alive" ? ` · ${characterStatusLabels[character.status]}` : ""}
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          )}
          {characterCount > characters.length ? (
            <Link to={`${base}/characters`} className="inline-flex min-h-11 items-center text-ember-700 underline">
              All {characterCount} characters
            </Link>
          ) : null}
        </section>
        {/* After lore and characters: at the table they are what a GM opens the campaign for, and a long premise would push them a screen down. */}
        <section aria-labelledby="description-heading" className="space-y-2">
          <h2 id="description-heading" className="font-serif text-2xl font-semibold">
            About this campaign
          </h2>
          <div className="rounded-lg border border-stone-300 bg-white p-4">
            <MarkdownView
              html={campaign.descriptionHtml}
              empty={mayEdit ? "No description yet. Add one from Edit campaign." : "No description yet."}
            />
          </div>
        </section>
      </div>

      <aside className="space-y-6">
        <section aria-labelledby="files-heading" className="rounded-lg border border-stone-300 bg-white p-4">
          <h2 id="files-heading" className="font-serif text-xl font-semibold">
            Files
          </h2>
          {resources.length === 0 ? (
            <p className="mt-1 text-sm text-stone-700">
              {seesSecrets ? "No files attached yet." : "No files shared with you yet."}
            </p>
          ) : (
            <ul className="mt-2 space-y-1">
              {resources.map((resource) => (
                <li key={resource.id}>
                  <Link
                    to={managesFiles ? `/library/${resource.fileKey}` : fileLinks(campaign.id).reader(resource.fileKey)}
                    className="break-all hover:underline"
                  >
                    {resource.fileName}
                  </Link>
                  <FileStatusNote file={resource} />
                </li>
              ))}
            </ul>
          )}
          <Link to={`${base}/files`} className="mt-2 inline-flex min-h-11 items-center text-ember-700 underline">
            {!managesFiles
              ? "All campaign files"
              : resources.length
                ? "Manage files"
                : "Attach files from your Library"}
          </Link>
        </section>
        <section
          aria-labelledby="recent-heading"
          className="rounded-lg border border-stone-300 bg-white p-4"
          ref={recentLinks}
        >
          <h2 id="recent-heading" className="font-serif text-xl font-semibold">
            Recent changes
          </h2>
          <ol className="mt-2 space-y-2">
            {recent.map((change) => (
              <li key={`${change.kind}-${change.id}`} className="text-sm">
                <a
                  href={
                    change.kind === "campaign"
                      ? mayEdit
                        ? `${base}/edit`
                        : base
                      : `${base}/${change.kind === "context" ? "context" : "characters"}/${change.id}`
                  }
                  className="font-medium hover:underline"
                >
                  {change.title}
                </a>
                <span className="block text-stone-600">
                  {change.kind === "campaign" ? "Campaign" : change.kind === "context" ? "Entry" : "Character"} ·{" "}
                  {formatRelative(change.updatedAt, now)}
                </span>
              </li>
            ))}
          </ol>
        </section>
      </aside>
    </div>
  );
}

/** What to try in the sample campaign, and (for its owner) the way out. */
function SampleNotice({
  campaignId,
  questions,
  mayAsk,
  mayRemove,
}: {
  campaignId: string;
  questions: string[];
  mayAsk: boolean;
  mayRemove: boolean;
}) {
  return (
    <section aria-labelledby="sample-heading" className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-4">
      <h2 id="sample-heading" className="font-serif text-xl font-semibold">
        This is the sample campaign
      </h2>
      <p className="text-stone-800">
        Open its lore and characters, search it, or ask the assistant — answers quote the entries and the attached house
        rules, each with its source.
      </p>
      {mayAsk ? (
        <SuggestedQuestions questions={questions} action={`/campaigns/${campaignId}/assistant`} />
      ) : (
        <ul className="flex flex-wrap gap-2">
          {questions.map((question) => (
            <li key={question}>
              <Link
                to={`/search?${new URLSearchParams({ q: question, campaignId })}`}
                className="inline-flex min-h-11 items-center underline"
              >
                {question}
              </Link>
            </li>
          ))}
        </ul>
      )}
      {mayRemove ? (
        <Form method="post" action="/home">
          <Button type="submit" name="intent" value="remove-sample" variant="dangerSecondary">
            Remove the sample campaign
          </Button>
        </Form>
      ) : null}
    </section>
  );
}

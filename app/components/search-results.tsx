import { openLabel, type SearchResult, sourceLabel } from "~/lib/search";

/**
 * The snippet: the best-matching sentences or table rows, formatted, matched words in
 * `<mark>`. The HTML was built and sanitized on the server (app/server/search/snippet.server.ts);
 * a wide table scrolls inside the card, never the page.
 */
export function SnippetView({ html }: { html: string }) {
  if (!html) return null;
  return (
    <div
      className="prose-lore min-w-0 text-stone-800 [&_mark]:rounded-sm [&_mark]:bg-amber-200 [&_mark]:px-0.5 [&_mark]:text-ink [&_table]:max-w-full [&_td]:min-w-28 [&_th]:whitespace-nowrap"
      // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by rehype-sanitize on the server, marks added to its text nodes.
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}

/** How a result was found, as the result list says it. */
const MATCHED_BY: Record<SearchResult["matchedBy"][number], string> = {
  words: "its words",
  related: "words of like meaning",
  meaning: "similar wording",
};

const pageOf = (place: { page?: number | null }) => (place.page ? `, page ${place.page}` : "");

export function SearchResultList({
  results,
  label,
  start,
}: {
  results: SearchResult[];
  label: string;
  /** The rank of the first result (later pages start past 1). */
  start?: number;
}) {
  return (
    <ol className="space-y-3" aria-label={label} start={start}>
      {results.map((result) => (
        <li key={result.id} className="min-w-0 rounded-lg border border-stone-300 bg-white p-4">
          <h3 className="break-words font-semibold text-lg leading-snug">
            <a href={result.href} className="text-ember-700 hover:underline">
              {result.title}
            </a>
          </h3>
          <p className="mb-2 break-words text-sm text-stone-700">{sourceLabel(result)}</p>
          <SnippetView html={result.snippetHtml} />
          {result.alsoIn?.length ? (
            <p className="mt-2 break-words text-sm text-stone-700">
              <span className="font-medium">Also in:</span>{" "}
              {result.alsoIn.map((place, i) => (
                <span key={place.href}>
                  {i > 0 ? ", " : null}
                  <a href={place.href} className="text-ember-700 underline">
                    {place.fileName}
                    {pageOf(place)}
                  </a>
                </span>
              ))}
            </p>
          ) : null}
          <p className="mt-2 flex flex-wrap items-center gap-x-3 text-sm">
            <a href={result.href} className="inline-flex min-h-11 items-center text-ember-700 underline">
              {openLabel(result)}
              <span className="sr-only">: {result.title}</span>
            </a>
            <span className="text-stone-600">
              Found by {result.matchedBy.map((by) => MATCHED_BY[by]).join(" and ")}
            </span>
          </p>
        </li>
      ))}
    </ol>
  );
}

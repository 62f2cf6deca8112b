import { openLabel, type SearchResult, sourceLabel } from "~/lib/search";

/** The snippet, matched words marked (as elements: nothing from the text becomes HTML). */
export function Snippet({ parts }: { parts: SearchResult["snippet"] }) {
  return (
    <p className="text-stone-800">
      {parts.map((part, i) =>
        part.match ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts never reorder
          <mark key={i} className="rounded-sm bg-amber-200 px-0.5 text-ink">
            {part.text}
          </mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts never reorder
          <span key={i}>{part.text}</span>
        ),
      )}
    </p>
  );
}

export function SearchResultList({ results, label }: { results: SearchResult[]; label: string }) {
  return (
    <ol className="space-y-3" aria-label={label}>
      {results.map((result) => (
        <li key={result.id} className="rounded-lg border border-stone-300 bg-white p-4">
          <h3 className="break-words font-semibold">
            <a href={result.href} className="text-ember-800 hover:underline">
              {result.title}
            </a>
          </h3>
          <p className="mb-1 break-words text-sm text-stone-700">{sourceLabel(result)}</p>
          <Snippet parts={result.snippet} />
          <p className="mt-2 flex flex-wrap items-center gap-3 text-sm">
            <a href={result.href} className="inline-flex min-h-11 items-center text-ember-700 underline">
              {openLabel(result)}
              <span className="sr-only">: {result.title}</span>
            </a>
            <span className="text-stone-600">
              Found by {result.matchedBy.map((by) => (by === "words" ? "its words" : "similar wording")).join(" and ")}
            </span>
          </p>
        </li>
      ))}
    </ol>
  );
}

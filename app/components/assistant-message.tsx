import type { ReactNode } from "react";
import { Link } from "react-router";
import { type Citation, type ProviderName, providerLabels } from "~/lib/assistant";

/** "[2]" in an answer becomes a link to source 2 of that answer's sources list. */
function withCitations(text: string, anchor: (n: number) => string, known: Set<number>): ReactNode[] {
  return text.split(/(\[\d+\])/g).map((part, i) => {
    const n = /^\[(\d+)\]$/.exec(part)?.[1];
    if (!n || !known.has(Number(n))) return part;
    return (
      // biome-ignore lint/suspicious/noArrayIndexKey: split parts never reorder
      <a key={i} href={`#${anchor(Number(n))}`} className="font-medium text-ember-700 no-underline hover:underline">
        [{n}]
      </a>
    );
  });
}

/**
 * An answer: paragraphs and quotes (lines starting "> ") with clickable citations, the
 * mode that wrote it, its sources, and (when `keepable`) links that turn it into an entry or an NPC.
 */
export function AssistantAnswer({
  id,
  content,
  citations,
  provider,
  campaignId,
  keepable,
  streaming = false,
}: {
  id: string;
  content: string;
  citations: Citation[];
  provider: ProviderName;
  campaignId: string;
  /** Whether the reader may save this answer as material: a GM, in their own conversation. */
  keepable: boolean;
  streaming?: boolean;
}) {
  const anchor = (n: number) => `answer-${id}-source-${n}`;
  const known = new Set(citations.map((c) => c.n));
  const blocks = content.split(/\n{2,}/).filter((block) => block.trim());
  return (
    <article className="space-y-3 rounded-lg border border-stone-300 bg-white p-4" aria-label="Answer">
      <div className="space-y-2 break-words">
        {blocks.map((block, i) =>
          block.startsWith(">") ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: blocks of one answer never reorder
            <blockquote key={i} className="border-stone-300 border-l-4 pl-3 text-stone-800">
              {withCitations(block.replace(/^>\s?/gm, ""), anchor, known)}
            </blockquote>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: blocks of one answer never reorder
            <p key={i} className="whitespace-pre-wrap">
              {withCitations(block, anchor, known)}
            </p>
          ),
        )}
        {streaming ? <span className="text-stone-500">▍</span> : null}
      </div>
      <p className="text-stone-600 text-xs">{providerLabels[provider]}</p>
      {citations.length ? (
        // Not a landmark: every answer has its sources, and a page of landmarks all named "Sources" helps no one.
        <div>
          <h2 id={`answer-${id}-sources`} className="font-semibold text-sm">
            Sources
          </h2>
          <ol aria-labelledby={`answer-${id}-sources`} className="mt-1 space-y-2 text-sm">
            {citations.map((citation) => (
              <li key={citation.n} id={anchor(citation.n)} className="scroll-mt-4 target:bg-amber-50">
                <span className="font-medium">[{citation.n}]</span>{" "}
                <a href={citation.href} className="break-words text-ember-700 underline">
                  {/* A file's label names it; an entry's or character's names only its kind, so lead with its title. */}
                  {citation.kind === "chunk" ? citation.label : `${citation.title} · ${citation.label}`}
                </a>
                <details className="mt-1">
                  <summary className="cursor-pointer text-stone-600">Quoted text</summary>
                  <p className="mt-1 whitespace-pre-wrap break-words text-stone-700">{citation.excerpt}</p>
                </details>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
      {streaming || !keepable ? null : (
        <p className="flex flex-wrap gap-2">
          <Link
            to={`/campaigns/${campaignId}/context/new?fromAnswer=${id}`}
            className="inline-flex min-h-11 items-center rounded-md border border-stone-400 px-3 text-sm hover:bg-stone-100"
          >
            Save as context entry
          </Link>
          <Link
            to={`/campaigns/${campaignId}/characters/new?fromAnswer=${id}`}
            className="inline-flex min-h-11 items-center rounded-md border border-stone-400 px-3 text-sm hover:bg-stone-100"
          >
            Create NPC from this
          </Link>
        </p>
      )}
    </article>
  );
}

import { Link } from "react-router";
import { MarkdownView } from "~/components/markdown";

interface ReadableText {
  file: { fileKey: string; fileName: string };
  version: number | null;
  passages: { index: number; page: number | null; headingPath: string[]; text: string; html: string | null }[];
}

/**
 * A file's searchable text, passage by passage (`#passage-N` highlighted): where search
 * results and citations of non-PDF files open. `back` is the page the reader came from:
 * the file's library page, or the campaign's files.
 */
export function FileReader({ text, back }: { text: ReadableText; back: { to: string; label: string } }) {
  const { file, version, passages } = text;
  return (
    <div className="max-w-3xl space-y-4">
      <p>
        <Link to={back.to} className="text-ember-700 underline">
          ← {back.label}
        </Link>
      </p>
      <h1 className="break-all font-serif text-3xl font-semibold">{file.fileName}</h1>
      {version === null ? (
        <p className="rounded-lg border border-stone-300 bg-white p-4">
          This file is not searchable yet:{" "}
          <Link to={back.to} className="text-ember-700 underline">
            {back.label}
          </Link>{" "}
          shows how its processing is going.
        </p>
      ) : (
        <>
          <p className="text-sm text-stone-700">
            The searchable text of version {version}, in {passages.length} passages.
          </p>
          <ol className="space-y-3">
            {passages.map((passage) => (
              <li
                key={passage.index}
                id={`passage-${passage.index}`}
                className="group min-w-0 scroll-mt-4 rounded-lg border border-stone-300 bg-white p-4 target:border-ember-600 target:bg-ember-50 target:ring-2 target:ring-ember-600"
              >
                <p className="mb-2 break-words font-medium text-sm text-stone-700">
                  <span className="mr-2 hidden rounded bg-ember-700 px-1.5 py-0.5 text-white group-target:inline">
                    Linked passage
                  </span>
                  {passage.page ? `Page ${passage.page}` : null}
                  {passage.page && passage.headingPath.length ? " · " : null}
                  {passage.headingPath.join(" › ")}
                </p>
                {passage.html !== null ? (
                  // Table cells wide enough to read; a wide table scrolls inside the passage.
                  <div className="min-w-0 [&_td]:min-w-28">
                    <MarkdownView html={passage.html} empty="" />
                  </div>
                ) : (
                  <p className="whitespace-pre-wrap break-words">{passage.text}</p>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

import { Link } from "react-router";
import { MarkdownView } from "~/components/markdown";
import { kindOfContentType } from "~/lib/file-kinds";
import { getFileFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import { withoutOverlap } from "~/server/ingest/chunk.server";
import { getServices, requireUser } from "~/server/request.server";
import { continueTable, passageHtml } from "~/server/search/snippet.server";
import type { Route } from "./+types/read";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Reading ${loaderData?.file.fileName ?? "a file"} — LoreSmith AI` },
];

/**
 * The searchable text of a file, passage by passage, each with its heading path or page:
 * where search results and citations of non-PDF files open (`#passage-N`, highlighted).
 * Markdown (and Word, read as Markdown) is shown formatted, through the app's sanitizing
 * Markdown pipeline; plain text, PDF and JSON text as it is.
 */
export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

export async function loader({ context, request }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const file = getFileFromContext(context);
  const { version, passages } = await getServices(context).tracker(user.id).readablePassages(file.fileKey);
  const kind = kindOfContentType(file.contentType);
  const markdown = kind === "markdown" || kind === "docx";
  let shown = "";
  return {
    file: { fileKey: file.fileKey, fileName: file.fileName, status: file.status },
    version,
    passages: passages.map((passage, i) => {
      const previous = passages[i - 1];
      // Neighbouring passages of one section or page share a little text (chunk.server.ts): shown once.
      const sameSource =
        previous?.page === passage.page && previous?.headingPath.join("\u0000") === passage.headingPath.join("\u0000");
      let text = previous && sameSource ? withoutOverlap(previous.body, passage.body) : passage.body;
      // A table cut between two passages keeps its header row in the second.
      if (markdown && sameSource) text = continueTable(shown, text);
      shown = text;
      return {
        index: passage.index,
        page: passage.page,
        headingPath: passage.headingPath,
        text,
        html: markdown ? passageHtml(text) : null,
      };
    }),
  };
}

export default function ReadFile({ loaderData }: Route.ComponentProps) {
  const { file, version, passages } = loaderData;
  return (
    <div className="max-w-3xl space-y-4">
      <p>
        <Link to={`/library/${file.fileKey}`} className="text-ember-700 underline">
          ← {file.fileName}
        </Link>
      </p>
      <h1 className="break-all font-serif text-3xl font-semibold">{file.fileName}</h1>
      {version === null ? (
        <p className="rounded-lg border border-stone-300 bg-white p-4">
          This file is not searchable yet. Its processing status is on its{" "}
          <Link to={`/library/${file.fileKey}`} className="text-ember-700 underline">
            page
          </Link>
          .
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

import { Link } from "react-router";
import { getFileFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import { readableChunks } from "~/server/ingest/index-chunks.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/read";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Reading ${loaderData?.file.fileName ?? "a file"} — LoreSmith AI` },
];

/**
 * The searchable text of a file, passage by passage, each with its heading path or page:
 * where search results and citations of non-PDF files open (`#passage-N`).
 */
export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

export async function loader({ context }: Route.LoaderArgs) {
  const file = getFileFromContext(context);
  const { version, chunks } = await readableChunks(getServices(context).db, file.fileKey);
  return {
    file: { fileKey: file.fileKey, fileName: file.fileName, status: file.status },
    version,
    passages: chunks.map((chunk) => {
      const metadata = chunk.metadata as { page?: number; headingPath?: string[] };
      const headingPath = metadata.headingPath ?? [];
      // The chunk text starts with its heading path (for search); the heading shows it already.
      const prefix = headingPath.length ? `${headingPath.join(" › ")}\n` : "";
      return {
        index: chunk.index,
        page: metadata.page ?? null,
        headingPath,
        text: chunk.text.startsWith(prefix) ? chunk.text.slice(prefix.length) : chunk.text,
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
            The searchable text of version {version}, in {passages.length} passages. Neighbouring passages overlap a
            little.
          </p>
          <ol className="space-y-3">
            {passages.map((passage) => (
              <li
                key={passage.index}
                id={`passage-${passage.index}`}
                className="scroll-mt-4 rounded-lg border border-stone-300 bg-white p-4 target:border-ember-600 target:ring-2 target:ring-ember-600"
              >
                <p className="mb-1 font-medium text-sm text-stone-700">
                  {passage.page ? `Page ${passage.page}` : null}
                  {passage.page && passage.headingPath.length ? " · " : null}
                  {passage.headingPath.join(" › ")}
                </p>
                <p className="whitespace-pre-wrap break-words">{passage.text}</p>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

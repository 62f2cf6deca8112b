import { Link } from "react-router";
import { getFileFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import { withoutOverlap } from "~/server/ingest/chunk.server";
import { getServices, requireUser } from "~/server/request.server";
import type { Route } from "./+types/read";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Reading ${loaderData?.file.fileName ?? "a file"} — LoreSmith AI` },
];

/**
 * The searchable text of a file, passage by passage, each with its heading path or page:
 * where search results and citations of non-PDF files open (`#passage-N`).
 */
export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

export async function loader({ context, request }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const file = getFileFromContext(context);
  const { version, passages } = await getServices(context).tracker(user.id).readablePassages(file.fileKey);
  return {
    file: { fileKey: file.fileKey, fileName: file.fileName, status: file.status },
    version,
    passages: passages.map((passage, i) => {
      const previous = passages[i - 1];
      return {
        index: passage.index,
        page: passage.page,
        headingPath: passage.headingPath,
        // Neighbouring passages share a little text (chunk.server.ts): shown once.
        text: previous ? withoutOverlap(previous.body, passage.body) : passage.body,
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

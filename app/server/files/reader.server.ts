import { kindOfContentType } from "~/lib/file-kinds";
import { withoutOverlap } from "../ingest/chunk.server";
import { continueTable, passageHtml } from "../search/snippet.server";
import type { FileRow, Tracker } from "./library.server";

/**
 * The searchable text of a file, passage by passage, each with its heading path or page:
 * what the reader pages show (the library's and a campaign's). Markdown (and Word, read as
 * Markdown) is shown formatted, through the app's sanitizing Markdown pipeline; plain
 * text, PDF and JSON text as it is.
 */
export async function readableFile(tracker: Pick<Tracker, "readablePassages">, file: FileRow) {
  const { version, passages } = await tracker.readablePassages(file.fileKey);
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

export type ReadableFile = Awaited<ReturnType<typeof readableFile>>;

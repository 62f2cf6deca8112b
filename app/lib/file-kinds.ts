/**
 * The one table of file kinds the library accepts. Upload checks (type sniffing and the
 * picker's `accept`), ingestion (which extractor reads it), search (its "kind" filter)
 * and the library's labels all derive from it: a kind added here is accepted, read,
 * filtered and named everywhere. Browser-safe.
 */

/** How a kind's text is read for search (app/server/ingest/extract.server.ts). */
export type Extractor = "pdf" | "markdown" | "text" | "json" | "docx";

interface FileKindInfo {
  /** What the library calls it ("PDF", "Word document"). */
  label: string;
  /** Stored with the file and sent with its bytes. */
  contentType: string;
  /** Lower-case, with the dot; the first is the usual one. */
  extensions: readonly string[];
  /** null: kept, viewable and downloadable, but not searched (no text). */
  extractor: Extractor | null;
  /** The search page's "kind of material" option, for searchable kinds. */
  searchLabel: string | null;
  /** Text-like: stored gzip-compressed in R2 when that saves bytes (ADR 0028); served and read decompressed. */
  compressed: boolean;
}

export const fileKinds = {
  pdf: {
    label: "PDF",
    contentType: "application/pdf",
    extensions: [".pdf"],
    extractor: "pdf",
    searchLabel: "PDFs",
    compressed: false,
  },
  markdown: {
    label: "Markdown",
    contentType: "text/markdown; charset=utf-8",
    extensions: [".md", ".markdown"],
    extractor: "markdown",
    searchLabel: "Markdown notes",
    compressed: true,
  },
  text: {
    label: "Text",
    contentType: "text/plain; charset=utf-8",
    extensions: [".txt", ".text"],
    extractor: "text",
    searchLabel: "Text files",
    compressed: true,
  },
  json: {
    label: "JSON",
    contentType: "application/json",
    extensions: [".json"],
    extractor: "json",
    searchLabel: "Character sheets (JSON)",
    compressed: true,
  },
  docx: {
    label: "Word document",
    contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    extensions: [".docx"],
    extractor: "docx",
    searchLabel: "Word documents",
    compressed: false,
  },
  png: {
    label: "PNG image",
    contentType: "image/png",
    extensions: [".png"],
    extractor: null,
    searchLabel: null,
    compressed: false,
  },
  jpeg: {
    label: "JPEG image",
    contentType: "image/jpeg",
    extensions: [".jpg", ".jpeg"],
    extractor: null,
    searchLabel: null,
    compressed: false,
  },
  webp: {
    label: "WebP image",
    contentType: "image/webp",
    extensions: [".webp"],
    extractor: null,
    searchLabel: null,
    compressed: false,
  },
} as const satisfies Record<string, FileKindInfo>;

export type FileKind = keyof typeof fileKinds;
/** The kinds that have text to search. */
export type SearchableKind = { [K in FileKind]: (typeof fileKinds)[K]["extractor"] extends null ? never : K }[FileKind];

const allKinds = Object.keys(fileKinds) as FileKind[];

export const searchableKinds = allKinds.filter((kind): kind is SearchableKind => fileKinds[kind].extractor !== null);

/** The content type without parameters: "text/markdown; charset=utf-8" → "text/markdown". */
export function mediaType(contentType: string): string {
  return contentType.split(";")[0]?.trim().toLowerCase() ?? "";
}

/** The kind a stored content type belongs to (parameters such as charset ignored). */
export function kindOfContentType(contentType: string): FileKind | null {
  const wanted = mediaType(contentType);
  return allKinds.find((kind) => mediaType(fileKinds[kind].contentType) === wanted) ?? null;
}

/** How a stored version's R2 object may be encoded; null (not listed) is "as uploaded". */
export const contentEncodings = ["gzip"] as const;
export type ContentEncoding = (typeof contentEncodings)[number];

/**
 * The largest text file stored compressed. It is compressed whole in the Worker's memory
 * (R2 needs the length first), and a Range request decompresses it from the start: both
 * are bounded by this, whatever a hostile upload holds after its first bytes (ADR 0028
 * addendum). Larger text is stored as sent.
 */
export const COMPRESS_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Whether a file of this type and size is stored compressed: text-like kinds up to
 * COMPRESS_MAX_BYTES (resumable multipart uploads are stored as sent, ADR 0028).
 */
export function isCompressible(contentType: string, size: number): boolean {
  const kind = kindOfContentType(contentType);
  return kind !== null && fileKinds[kind].compressed && size <= Math.min(COMPRESS_MAX_BYTES, MULTIPART_THRESHOLD);
}

export function kindOfExtension(extension: string): FileKind | null {
  return allKinds.find((kind) => (fileKinds[kind].extensions as readonly string[]).includes(extension)) ?? null;
}

/** "PDF" for a stored file; the bare media type for anything the table does not know. */
export function kindLabel(contentType: string): string {
  const kind = kindOfContentType(contentType);
  return kind ? fileKinds[kind].label : mediaType(contentType);
}

/** For messages: "PDF, Markdown, …, JPEG image or WebP image". */
export const acceptedKindsText = allKinds
  .map((kind) => fileKinds[kind].label)
  .join(", ")
  .replace(/, ([^,]+)$/, " or $1");

/** For `<input type="file" accept>`. */
export const acceptAttribute = allKinds.flatMap((kind) => fileKinds[kind].extensions).join(",");

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  return dot > 0 ? fileName.slice(dot).toLowerCase() : "";
}

/**
 * Without JavaScript the picker posts a plain multipart form, which workerd parses in
 * memory, so that path is capped (the JavaScript path streams any size and resumes).
 */
export const NO_SCRIPT_UPLOAD_LIMIT = 25 * 1024 * 1024;

/** Files above this go as a resumable multipart upload; smaller ones in one streamed request. */
export const MULTIPART_THRESHOLD = 50 * 1024 * 1024;
/** The size of each part of a multipart upload (R2 needs equal parts of at least 5 MiB but the last). */
export const PART_SIZE = 10 * 1024 * 1024;

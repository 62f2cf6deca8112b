/**
 * What one file may cost the processor. A hostile or broken file must end with a clear
 * reason quickly, never hold a user's queue or exhaust a Worker's 128 MB: each limit is
 * checked before the work it bounds (or while it runs), and its message says what to do.
 */

/** Whole-file extractors (Markdown, text, JSON, DOCX) read the file in one step: cap it. */
export const MAX_WHOLE_FILE_EXTRACT_BYTES = 25 * 1024 * 1024;

/**
 * Characters of text one file may yield: 18 times the 1.35 million of the 664-page SRD,
 * and about the largest text file read, while a small compressed PDF or DOCX could
 * otherwise yield text (and chunks, and embedding calls) without end.
 */
export const MAX_TEXT_CHARS = 25_000_000;

/**
 * Over-long lines reach the block readers in pieces of at most this many characters (a
 * 20 MB file without a newline is one "line"). Far above any real line of prose.
 */
export const MAX_LINE_CHARS = 64 * 1024;

/** A paragraph, table or code block is handed to the chunker in pieces of at most this size. */
export const MAX_BLOCK_CHARS = 64 * 1024;

/**
 * A heading goes into the heading path of every block under it and is prefixed to each
 * of their chunks: a longer "# …" line is read as a paragraph instead.
 */
export const MAX_HEADING_CHARS = 300;

/** JSON.parse holds the text and a tree several times its size at once; sheets are KBs. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Deeper nesting is no character sheet, and JSON.parse overflows its stack on deep input (100,000 levels throw). */
export const MAX_JSON_DEPTH = 64;
/** Lines of flattened JSON ("stats › dexterity: 17"); a full character sheet has a few hundred. */
export const MAX_JSON_LINES = 20_000;
/** A field's line names only its last few path segments, never its whole ancestry. */
export const JSON_PATH_SEGMENTS = 3;
/** Field names in paths are cut to this length (the value itself is kept whole). */
export const MAX_JSON_LABEL_CHARS = 100;

/**
 * XML a Word document may inflate to (all the parts mammoth reads). Mammoth holds about
 * 15 times the XML it parses (measured: 2.7 MB of document XML peaked at 37 MB live in a
 * 100 MB heap, and 5.5 MB ran out of it), so this keeps it near 60 MB.
 */
export const MAX_DOCX_XML_BYTES = 4 * 1024 * 1024;
/** Entries in a Word document's ZIP; real ones have tens, plus one per image. */
export const MAX_DOCX_ENTRIES = 5_000;

/**
 * PDFs: pdf.js keeps a buffer the size of the whole file while it reads one (even by
 * ranges): measured live memory is about 25 MB plus the file's size (bench/pdf-memory.mjs),
 * so at this cap extraction needs about 89 MB of a Worker's 128 MB.
 */
export const MAX_PDF_BYTES = 64 * 1024 * 1024;
/** 7.5 times the 664-page SRD; each 20 pages are one step of the user's queue. */
export const MAX_PDF_PAGES = 5_000;
/**
 * A PDF whose first pages all have no text is a scan (or drawings) and will not get
 * any: stop there rather than read 20,000 empty pages. Covers, art plates and an image
 * table of contents stay well under this.
 */
export const EMPTY_PAGES_BEFORE_GIVING_UP = 60;
/**
 * Inflated size of one compressed stream (a page's drawing instructions, a font, an
 * object stream): pdf.js decodes each whole into memory. The largest in the SRD is 52 KB.
 */
export const MAX_PDF_STREAM_INFLATED = 16 * 1024 * 1024;
/**
 * Streams labelled as images may be larger (a 300-dpi A4 colour scan is 26 MB decoded).
 * The label does not bind how pdf.js uses a stream, so these are capped too.
 */
export const MAX_PDF_IMAGE_INFLATED = 64 * 1024 * 1024;
/**
 * All compressed streams of a PDF together: 24 times the 10.5 MB the 664-page SRD
 * inflates to. The check keeps no output and reads about 14 MB of compressed data a
 * second (bombs much faster): the SRD in 0.15 s, a 64 MB file at worst in about 5 s, once.
 */
export const MAX_PDF_INFLATED_TOTAL = 256 * 1024 * 1024;

import rehypeSanitize, { defaultSchema } from "rehype-sanitize";
import rehypeStringify from "rehype-stringify";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import remarkRehype from "remark-rehype";
import { unified } from "unified";
import { WIKI_LINK } from "~/lib/wiki-links";

// Markdown → sanitized HTML, on the server only (docs/decisions/0008). Loaders call
// `renderMarkdown` and the route renders the string with `dangerouslySetInnerHTML`, so the
// unified stack never reaches the browser bundle.

/**
 * Longer input is cut here, with a note. The length alone does not bound the parser's CPU
 * time: see the budget further down.
 */
export const MARKDOWN_MAX_LENGTH = 200_000;

/** What `rehype-sanitize` puts before every user `id` and `name` (its default). */
const CLOBBER_PREFIX = defaultSchema.clobberPrefix ?? "user-content-";

const TRUNCATED_NOTE = `<p><em>This entry is longer than ${MARKDOWN_MAX_LENGTH.toLocaleString("en-US")} characters; the rest is not shown.</em></p>`;

// GitHub's schema, with fewer URL protocols: links may be http(s), mailto or relative;
// images and citations only http(s) or relative. Everything else (javascript:, data:,
// vbscript:, irc:, …) loses the attribute.
const schema = {
  ...defaultSchema,
  protocols: {
    ...defaultSchema.protocols,
    href: ["http", "https", "mailto"],
    src: ["http", "https"],
    cite: ["http", "https"],
    longDesc: ["http", "https"],
  },
};

// Just the shape of hast that the plugin below (and search/snippet.server.ts) touches.
export interface HastNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
  value?: string;
}

/**
 * Runs after sanitizing. A table scrolls sideways when it is wider than the page (app.css),
 * so it takes keyboard focus: without it, someone without a mouse could not scroll it.
 */
function rehypeScrollableTables() {
  return (tree: HastNode) => {
    const visit = (node: HastNode) => {
      if (node.type === "element" && node.tagName === "table") node.properties = { ...node.properties, tabIndex: 0 };
      for (const child of node.children ?? []) visit(child);
    };
    visit(tree);
  };
}

/**
 * Runs after sanitizing. Marks absolute http(s) links `rel="nofollow noopener noreferrer"`,
 * and points in-page links (`#fn-1`) at the prefixed ids the sanitizer wrote
 * (`user-content-fn-1`), which is what makes GFM footnotes work.
 */
function rehypeLinks() {
  return (tree: HastNode) => {
    const visit = (node: HastNode) => {
      if (node.type === "element" && node.tagName === "a" && node.properties) {
        const href = node.properties.href;
        if (typeof href === "string") {
          if (/^https?:\/\//i.test(href)) {
            node.properties.rel = ["nofollow", "noopener", "noreferrer"];
          } else if (href.length > 1 && href.startsWith("#")) {
            node.properties.href = `#${CLOBBER_PREFIX}${href.slice(1)}`;
          }
        }
      }
      for (const child of node.children ?? []) visit(child);
    };
    visit(tree);
  };
}

const markdownParser = unified().use(remarkParse).use(remarkGfm).freeze();

/**
 * Where `[[Name]]` links of campaign Markdown go (links.server.ts builds one per page): the
 * target the reader may open, else (for someone who may write it) where to create it;
 * null for both renders the shown text alone, saying nothing of what is hidden.
 */
export interface WikiLinkResolver {
  href(name: string): string | null;
  createHref(name: string): string | null;
}

interface MdastParent {
  type: string;
  value?: string;
  url?: string;
  title?: string | null;
  children?: MdastParent[];
}

/**
 * Runs first, on the parsed text: each `[[Name]]` or `[[Name|shown]]` in a text node
 * (never in code, never inside an existing link) becomes a link to its target, a link to
 * create it, or its shown text — as `file.data.wikiLinks` (a WikiLinkResolver) says.
 * Without a resolver the text is left as written.
 */
function remarkWikiLinks() {
  return (tree: MdastParent, file: { data: object }) => {
    const resolver = (file.data as { wikiLinks?: WikiLinkResolver }).wikiLinks;
    if (!resolver) return;
    const visit = (node: MdastParent) => {
      if (!node.children || node.type === "link" || node.type === "linkReference") return;
      node.children = node.children.flatMap((child) => {
        if (child.type !== "text" || !child.value?.includes("[[")) {
          visit(child);
          return [child];
        }
        const parts: MdastParent[] = [];
        let at = 0;
        for (const match of child.value.matchAll(WIKI_LINK)) {
          const name = (match[1] ?? "").trim().replace(/\s+/g, " ");
          const shown = (match[2] ?? "").trim() || name;
          if (match.index > at) parts.push({ type: "text", value: child.value.slice(at, match.index) });
          const href = resolver.href(name);
          const create = href ? null : resolver.createHref(name);
          if (href) parts.push({ type: "link", url: href, title: null, children: [{ type: "text", value: shown }] });
          else if (create) {
            parts.push({
              type: "link",
              url: create,
              title: `“${name}” is not written yet: create it`,
              children: [{ type: "text", value: shown }],
            });
          } else parts.push({ type: "text", value: shown });
          at = match.index + match[0].length;
        }
        if (at < child.value.length) parts.push({ type: "text", value: child.value.slice(at) });
        return parts;
      });
    };
    visit(tree);
  };
}

/** A code block fenced as `secret` (ADR 0026), as the parser that renders the text sees it. */
const isSecretBlock = (node: MdastNode) => node.type === "code" && node.lang?.trim().toLowerCase() === "secret";

/**
 * Runs before remark-rehype in the GMs' view: a secret block that is not at the top level
 * (inside a list or a quote) becomes a quote that says it is hidden from players, with its
 * content rendered (secrets.server.ts boxes the top-level ones itself).
 */
function remarkLabelSecrets() {
  const label = (secret: MdastNode): MdastNode => ({
    type: "blockquote",
    children: [
      { type: "paragraph", children: [{ type: "strong", children: [{ type: "text", value: SECRET_LABEL }] }] },
      ...((markdownParser.parse(secret.value ?? "") as MdastNode).children ?? []),
    ],
  });
  const visit = (node: MdastNode) => {
    node.children = node.children?.map((child) => {
      if (isSecretBlock(child)) return label(child);
      visit(child);
      return child;
    });
  };
  return visit;
}

export const SECRET_LABEL = "Secret · hidden from players";

const htmlProcessor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(remarkWikiLinks)
  // No `allowDangerousHtml`: raw HTML in the Markdown is dropped here, before sanitizing.
  // No clobber prefix here: the sanitizer adds its own to every id, and rehypeLinks
  // rewrites the matching `#…` links.
  .use(remarkRehype, { clobberPrefix: "" })
  .use(rehypeSanitize, schema)
  .use(rehypeLinks)
  .use(rehypeScrollableTables)
  .use(rehypeStringify)
  .freeze();

const labellingProcessor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(remarkWikiLinks)
  .use(remarkLabelSecrets)
  .use(remarkRehype, { clobberPrefix: "" })
  .use(rehypeSanitize, schema)
  .use(rehypeLinks)
  .use(rehypeScrollableTables)
  .use(rehypeStringify)
  .freeze();

/** A secret block's place in the (normalized) source: [start, end) offsets, and whether it is at the top level. */
export interface SecretBlock {
  start: number;
  end: number;
  topLevel: boolean;
  /** Its content, without the fences. */
  value: string;
}

/** A fence line that names `secret`: what fails closed past the parser's budget. */
const SECRET_FENCE_LIKE = /^[ \t>*+\-\d.)]*(?:`{3,}|~{3,})[ \t]*secret/im;

/**
 * The secret blocks of campaign Markdown, found by the same parser that renders it, at any
 * depth, in the source as the renderer reads it (line endings normalized, a byte-order
 * mark dropped). Past the parser's budget nothing is parsed, so from the first line there
 * that looks like a secret fence (or from a secret block that runs into it) everything is
 * taken as secret: fail closed.
 */
export function findSecretBlocks(markdown: string): { source: string; blocks: SecretBlock[] } {
  const source = normalizeLineEndings(cut(markdown, MARKDOWN_MAX_LENGTH)).replace(/^\uFEFF/, "");
  const budgetEnd = markdownBudgetEnd(source);
  let tree: MdastNode;
  try {
    tree = markdownParser.parse(source.slice(0, budgetEnd)) as MdastNode;
  } catch {
    return { source, blocks: [{ start: 0, end: source.length, topLevel: true, value: source }] };
  }
  const blocks: SecretBlock[] = [];
  const visit = (node: MdastNode, topLevel: boolean) => {
    for (const child of node.children ?? []) {
      const start = child.position?.start.offset;
      const end = child.position?.end.offset;
      if (isSecretBlock(child) && start !== undefined && end !== undefined) {
        blocks.push({ start, end, topLevel, value: child.value ?? "" });
      } else visit(child, false);
    }
  };
  visit(tree, true);
  if (budgetEnd < source.length) {
    const after = SECRET_FENCE_LIKE.exec(source.slice(budgetEnd));
    const runsOn = blocks.find((block) => block.end >= budgetEnd);
    const from = Math.min(
      runsOn?.start ?? Number.POSITIVE_INFINITY,
      after ? budgetEnd + after.index : Number.POSITIVE_INFINITY,
    );
    if (Number.isFinite(from)) {
      const kept = blocks.filter((block) => block.end <= from);
      kept.push({ start: from, end: source.length, topLevel: true, value: source.slice(from) });
      return { source, blocks: kept };
    }
  }
  return { source, blocks };
}

/** Cuts `text` to at most `max` UTF-16 units, without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** CRLF and lone CR become LF, so the line counts below see every line micromark sees. */
function normalizeLineEndings(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

// The length cap alone does not bound the CPU: the parser (micromark and
// mdast-util-from-markdown) is super-linear on some shapes, such as deeply nested
// brackets, long runs of emphasis or strikethrough markers in one paragraph, thousands of
// setext headings or list items, and deep block quotes (which can also overflow the
// stack). 200,000 characters of nested brackets took minutes. A Worker cannot interrupt a
// synchronous parse, and its clock does not advance during one, so the guard is
// structural: a linear scan finds where the document leaves these budgets, the text
// before that point is rendered as Markdown and the rest as escaped plain text. Within
// them, no shape measured costs more than an ordinary document at the length cap
// (docs/decisions/0008).
const MAX_LINES = 10_000;
const MAX_SETEXT_UNDERLINES = 200;
const MAX_MARKUP_PER_BLOCK = 2_000;
const MAX_MARKUP_TOTAL = 20_000;
const MAX_NESTING = 16;
const MAX_LIST_INDENT = 64;
const MAX_CONTAINER_MARKERS = 4_000;
const MARKUP = /[[\]*_~`<>!]/g;
/** A line's container prefix: indentation, `>` quote markers and list markers. */
const CONTAINER_PREFIX = /^(?:[ \t>]|(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$))*/;
const CONTAINER_MARKER = /[>+*-]|\d{1,9}[.)]/g;

/** Where the Markdown budget runs out: the start of the block that exceeds it, or the end. */
function markdownBudgetEnd(text: string): number {
  let lines = 0;
  let underlines = 0;
  let blockMarkup = 0;
  let totalMarkup = 0;
  let containerMarkers = 0;
  let blockStart = 0;
  let previousBlank = true;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end);
    lines++;
    if (line.trim() === "") {
      blockStart = start;
      blockMarkup = 0;
      previousBlank = true;
    } else {
      if (previousBlank) blockStart = start;
      // A paragraph line followed by `===` or `---` is a setext heading.
      if (!previousBlank && /^ {0,3}(?:=+|-+)[ \t]*$/.test(line)) underlines++;
      // Block quotes and lists nest by `>` and list markers, and by indenting list items.
      const prefix = CONTAINER_PREFIX.exec(line)?.[0] ?? "";
      const nesting = prefix.match(CONTAINER_MARKER)?.length ?? 0;
      if (nesting > MAX_NESTING || (nesting > 0 && prefix.length > MAX_LIST_INDENT)) return blockStart;
      containerMarkers += nesting;
      // A list item starts a new paragraph: the unit the inline parser works on.
      if (/[-+*\d]/.test(prefix)) {
        blockStart = start;
        blockMarkup = 0;
      }
      const content = line.slice(prefix.length);
      const markup = content.length - content.replace(MARKUP, "").length;
      blockMarkup += markup;
      totalMarkup += markup;
      previousBlank = false;
    }
    if (
      lines > MAX_LINES ||
      underlines > MAX_SETEXT_UNDERLINES ||
      blockMarkup > MAX_MARKUP_PER_BLOCK ||
      totalMarkup > MAX_MARKUP_TOTAL ||
      containerMarkers > MAX_CONTAINER_MARKERS
    ) {
      return blockStart;
    }
    start = end + 1;
  }
  return text.length;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text as HTML with no formatting: escaped, a paragraph per blank-line-separated block. */
function plainTextToHtml(text: string): string {
  return text
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter((block) => block !== "")
    .map((block) => `<p>${block.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c).replace(/\n/g, "<br>\n")}</p>`)
    .join("\n");
}

const UNFORMATTED_NOTE = "<p><em>The rest of this entry is too complex to format, and is shown as plain text.</em></p>";

/**
 * Renders Markdown (CommonMark + GFM: tables, task lists, strikethrough, autolinks,
 * footnotes) to an HTML string that is safe to pass to `dangerouslySetInnerHTML`.
 * Raw HTML is dropped; the rest is sanitized with GitHub's schema. Input over
 * `MARKDOWN_MAX_LENGTH` is cut, with a note; a document that would cost the parser too
 * much is formatted up to that point, and the rest is shown as escaped plain text.
 */
export function renderMarkdown(
  markdown: string,
  { labelSecrets = false, wikiLinks }: { labelSecrets?: boolean; wikiLinks?: WikiLinkResolver } = {},
): string {
  const source = normalizeLineEndings(cut(markdown, MARKDOWN_MAX_LENGTH));
  const budgetEnd = markdownBudgetEnd(source);
  let html: string;
  let rest = source.slice(budgetEnd);
  try {
    const processor = labelSecrets ? labellingProcessor : htmlProcessor;
    html = String(processor.processSync({ value: source.slice(0, budgetEnd), data: { wikiLinks } }));
  } catch {
    // Such as a stack overflow on a shape the budget does not foresee: show it all unformatted.
    html = "";
    rest = source;
  }
  const parts = [html];
  if (rest.trim() !== "") parts.push(UNFORMATTED_NOTE, plainTextToHtml(rest));
  if (markdown.length > MARKDOWN_MAX_LENGTH) parts.push(TRUNCATED_NOTE);
  return parts.filter((part) => part !== "").join("\n");
}

/**
 * The same pipeline as `renderMarkdown` (raw HTML dropped, sanitized, links marked), up to
 * the sanitized hast tree, for callers that rework the tree before it becomes HTML (search
 * snippets mark matched words on its text nodes). The same length cap and CPU budget: what
 * lies past the budget becomes plain paragraphs. Serialize with `hastToHtml`.
 */
export function renderMarkdownTree(markdown: string): HastNode {
  const source = normalizeLineEndings(cut(markdown, MARKDOWN_MAX_LENGTH));
  const budgetEnd = markdownBudgetEnd(source);
  let children: HastNode[];
  let rest = source.slice(budgetEnd);
  try {
    children = (htmlProcessor.runSync(htmlProcessor.parse(source.slice(0, budgetEnd))) as HastNode).children ?? [];
  } catch {
    children = [];
    rest = source;
  }
  for (const block of rest.split(/\n[ \t]*\n/)) {
    const text = block.trim();
    if (text)
      children.push({ type: "element", tagName: "p", properties: {}, children: [{ type: "text", value: text }] });
  }
  return { type: "root", children };
}

/** A hast tree (from `renderMarkdownTree`, reworked by trusted code) as an HTML string. */
export function hastToHtml(tree: HastNode): string {
  return htmlProcessor.stringify(tree as Parameters<typeof htmlProcessor.stringify>[0]);
}

// Just the shape of mdast that `markdownToPlainText` reads.
interface MdastNode {
  type: string;
  value?: string;
  alt?: string | null;
  lang?: string | null;
  position?: { start: { offset?: number }; end: { offset?: number } };
  children?: MdastNode[];
}

/** A preview parses at most this many characters of source per character shown… */
const PREVIEW_SOURCE_FACTOR = 4;
/** …and at least this many. */
const PREVIEW_SOURCE_MIN = 1_000;

/** Node types that add nothing to a preview. */
const SKIPPED = new Set(["html", "definition", "footnoteDefinition", "footnoteReference", "thematicBreak"]);

/** Inline node types: no space is added after them. */
const PHRASING = new Set([
  "text",
  "inlineCode",
  "emphasis",
  "strong",
  "delete",
  "link",
  "linkReference",
  "image",
  "imageReference",
  "break",
  "html",
  "footnoteReference",
]);

function collectText(node: MdastNode, out: string[]): void {
  if (SKIPPED.has(node.type)) return;
  if (node.type === "image" || node.type === "imageReference") {
    if (node.alt) out.push(node.alt);
    return;
  }
  if (node.type === "break") {
    out.push(" ");
    return;
  }
  if (typeof node.value === "string") {
    out.push(node.value);
    return;
  }
  for (const child of node.children ?? []) {
    collectText(child, out);
    // Separate blocks ("# Title" then "Text" must not read "TitleText").
    if (!PHRASING.has(child.type)) out.push(" ");
  }
}

/**
 * The text of a Markdown document without its syntax, whitespace collapsed, for short
 * previews in lists. Longer than `maxLength` characters: cut at a word boundary where
 * possible and ended with "…" (the result, ellipsis included, is at most `maxLength`).
 */
export function markdownToPlainText(markdown: string, maxLength = 200): string {
  if (maxLength < 1) return "";
  // A preview needs only the start of the document: parsing only that keeps a list of
  // many long entries cheap. References defined further down stay unresolved.
  const sourceLength = Math.min(MARKDOWN_MAX_LENGTH, Math.max(PREVIEW_SOURCE_MIN, maxLength * PREVIEW_SOURCE_FACTOR));
  const source = normalizeLineEndings(cut(markdown, sourceLength));
  const budgetEnd = markdownBudgetEnd(source);
  const tree = markdownParser.parse(source.slice(0, budgetEnd));
  const parts: string[] = [];
  collectText(tree, parts);
  const text = parts.join("").replace(/\s+/g, " ").trim();
  const sourceWasCut = markdown.length > sourceLength || budgetEnd < source.length;
  if (text.length <= maxLength && !sourceWasCut) return text;
  if (text.length < maxLength) return text === "" ? "" : `${text}…`;
  const head = cut(text, maxLength - 1);
  const lastSpace = head.lastIndexOf(" ");
  const clipped = lastSpace >= maxLength / 2 ? head.slice(0, lastSpace) : head;
  return `${clipped.trimEnd()}…`;
}

import rehypeSanitize, { defaultSchema } from "rehype-sanitize";
import rehypeStringify from "rehype-stringify";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import remarkRehype from "remark-rehype";
import { unified } from "unified";

// Markdown → sanitized HTML, on the server only (docs/decisions/0008). Loaders call
// `renderMarkdown` and the route renders the string with `dangerouslySetInnerHTML`, so the
// unified stack never reaches the browser bundle.

/** Longer input is cut here, so one huge entry cannot burn the Worker's CPU budget. */
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

// Just the shape of hast that the plugin below touches.
interface HastNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
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

const htmlProcessor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  // No `allowDangerousHtml`: raw HTML in the Markdown is dropped here, before sanitizing.
  // No clobber prefix here: the sanitizer adds its own to every id, and rehypeLinks
  // rewrites the matching `#…` links.
  .use(remarkRehype, { clobberPrefix: "" })
  .use(rehypeSanitize, schema)
  .use(rehypeLinks)
  .use(rehypeStringify)
  .freeze();

/** Cuts `text` to at most `max` UTF-16 units, without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/**
 * Renders Markdown (CommonMark + GFM: tables, task lists, strikethrough, autolinks,
 * footnotes) to an HTML string that is safe to pass to `dangerouslySetInnerHTML`.
 * Raw HTML is dropped; the rest is sanitized with GitHub's schema.
 */
export function renderMarkdown(markdown: string): string {
  const truncated = markdown.length > MARKDOWN_MAX_LENGTH;
  const html = String(htmlProcessor.processSync(cut(markdown, MARKDOWN_MAX_LENGTH)));
  return truncated ? `${html}\n${TRUNCATED_NOTE}` : html;
}

// Just the shape of mdast that `markdownToPlainText` reads.
interface MdastNode {
  type: string;
  value?: string;
  alt?: string | null;
  children?: MdastNode[];
}

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
  const tree = markdownParser.parse(cut(markdown, MARKDOWN_MAX_LENGTH));
  const parts: string[] = [];
  collectText(tree, parts);
  const text = parts.join("").replace(/\s+/g, " ").trim();
  if (text.length <= maxLength) return text;
  if (maxLength < 1) return "";
  const head = cut(text, maxLength - 1);
  const lastSpace = head.lastIndexOf(" ");
  const clipped = lastSpace >= maxLength / 2 ? head.slice(0, lastSpace) : head;
  return `${clipped.trimEnd()}…`;
}

import { renderMarkdown } from "../markdown.server";
import { type CampaignReader, can } from "./policy.server";

/**
 * Secret blocks (ADR 0026): inside an entry, a backstory or a campaign's description, a
 * block fenced as ```secret (or ~~~secret) is for GMs only, even where the rest is shared.
 *
 * One scanner decides what is secret, and everything else follows from it: the public
 * text that is stored, indexed and shown to players is the text with those blocks cut out;
 * the GMs' view renders each of them in a box that says so. A fence anywhere else (inside
 * a quote or a list, indented as code) is not a secret block, and the GMs' view shows it
 * as the ordinary code block players see too. An unclosed secret fence runs to the end.
 */

export interface Segment {
  secret: boolean;
  text: string;
}

/** An opening or closing fence line: up to three spaces, then three or more ` or ~. */
const FENCE = /^ {0,3}(`{3,}|~{3,})([^\n]*)$/;

/** The text in order, as public and secret segments (fence lines of secret blocks dropped). */
export function splitSecrets(markdown: string): Segment[] {
  const segments: Segment[] = [];
  let current: Segment = { secret: false, text: "" };
  /** The open fence's marker: a secret block's, or an ordinary code block's (whose content is never scanned). */
  let open: { marker: string; secret: boolean } | null = null;
  const push = (segment: Segment) => {
    if (segment.text !== "") segments.push(segment);
  };
  for (const line of markdown.replace(/\r\n?/g, "\n").split("\n")) {
    const fence = FENCE.exec(line);
    if (open) {
      const closes =
        fence?.[1] && fence[1][0] === open.marker[0] && fence[1].length >= open.marker.length && !fence[2]?.trim();
      if (closes) {
        if (open.secret) {
          push(current);
          current = { secret: false, text: "" };
        } else current.text += `${line}\n`;
        open = null;
        continue;
      }
      current.text += `${line}\n`;
      continue;
    }
    if (fence?.[1]) {
      const info = fence[2]?.trim() ?? "";
      // A backtick fence's info string may not contain a backtick (CommonMark): then it is no fence.
      const isFence = !(fence[1][0] === "`" && info.includes("`"));
      if (isFence && info.split(/\s/, 1)[0]?.toLowerCase() === "secret") {
        push(current);
        current = { secret: true, text: "" };
        open = { marker: fence[1], secret: true };
        continue;
      }
      if (isFence) open = { marker: fence[1], secret: false };
    }
    current.text += `${line}\n`;
  }
  push(current);
  return segments;
}

/** The text players may read: every secret block cut out. What is stored as `*_public` and indexed for them. */
export function withoutSecrets(markdown: string): string {
  return splitSecrets(markdown)
    .filter((segment) => !segment.secret)
    .map((segment) => segment.text)
    .join("")
    .replace(/\n$/, "");
}

/** Whether the text has a secret block (the GMs' views say "this entry has secrets players do not see"). */
export function hasSecrets(markdown: string): boolean {
  return splitSecrets(markdown).some((segment) => segment.secret);
}

/**
 * The GMs' view of campaign Markdown: public parts as usual, each secret block in a box
 * marked as hidden from players. Players' pages render the public text (withoutSecrets)
 * with `renderMarkdown` and never reach this.
 */
export function renderWithSecrets(markdown: string): string {
  return splitSecrets(markdown)
    .map((segment) =>
      segment.secret
        ? `<aside class="my-3 rounded-md border-2 border-dashed border-violet-700 bg-violet-50 px-4 py-2" aria-label="Secret, hidden from players"><p class="mb-1 font-semibold text-sm text-violet-900">Secret · hidden from players</p>${renderMarkdown(segment.text)}</aside>`
        : renderMarkdown(segment.text),
    )
    .join("\n");
}

/**
 * Campaign Markdown as the reader may see it: with its secret blocks boxed for a GM,
 * without them for anyone else (cut again here even from text that is already public).
 */
export function renderForReader(markdown: string, reader: Pick<CampaignReader, "role">): string {
  return can(reader.role, "seeSecrets") ? renderWithSecrets(markdown) : renderMarkdown(withoutSecrets(markdown));
}

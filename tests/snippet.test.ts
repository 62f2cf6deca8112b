import { describe, expect, it } from "vitest";
import type { SearchResult } from "~/lib/search";
import { chunkBlocks, withoutOverlap } from "~/server/ingest/chunk.server";
import { extractMarkdown, extractPlainText } from "~/server/ingest/extract.server";
import { renderMarkdown } from "~/server/markdown.server";
import { queryTerms } from "~/server/search/query.server";
import { buildSnippet, continueTable, passageHtml, SNIPPET_CHARS, SNIPPET_ROWS } from "~/server/search/snippet.server";
import { newUser, services } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";

/**
 * Search snippets as a GM reads them: the sentence that answers, whole; Markdown shown
 * formatted, tables as tables; matched words marked; nothing a file says runs as HTML.
 * Every text here is the project's own.
 */

const snippetOf = (text: string, query: string, format: "markdown" | "text" = "markdown") =>
  buildSnippet(text, queryTerms(query), format);
const plain = (parts: { text: string }[]) => parts.map((part) => part.text).join("");
const marked = (html: string) => [...html.matchAll(/<mark>([^<]*)<\/mark>/g)].map((m) => m[1]);
/** The text a reader sees in the HTML (tags dropped, entities of the fixtures decoded). */
const visible = (html: string) =>
  html
    .replace(/<[^>]+>/g, "")
    .replace(/&#x26;|&amp;/g, "&")
    .replace(/&#x3C;|&lt;/g, "<")
    .replace(/\s+/g, " ")
    .trim();

const filler = (topic: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `The ${topic} chapter goes on about matter number ${i + 1}, which has nothing to do with it.`,
  ).join(" ");

const HOLDING = `Sometimes a fight comes down to who holds whom. ${filler("wrestling", 3)}

***Breaking a Hold.*** A held creature can spend its turn to wriggle free. To do so, it must win a contest of Strength against the one holding it. Winning ends the hold at once.

***Dragging a Held Creature.*** You can drag or carry the held creature along, but you move at half speed.`;

describe("search snippets", () => {
  it("centres on the sentence with most of the query's words, whole sentences only", () => {
    const text = `${filler("travel", 8)} A dwarf of the deep halls lives for about three centuries, and is counted young until fifty. ${filler("trade", 8)}`;
    const { parts, html } = snippetOf(text, "how long does a dwarf live");
    const shown = plain(parts);
    expect(shown).toContain(
      "A dwarf of the deep halls lives for about three centuries, and is counted young until fifty.",
    );
    // Whole sentences: it starts at a sentence start and ends at a sentence end.
    expect(shown).toMatch(/^[A-Z]/);
    expect(shown).toMatch(/\.$/);
    expect(shown).not.toContain("…");
    expect(shown.length).toBeLessThanOrEqual(SNIPPET_CHARS);
    expect(marked(html)).toEqual(expect.arrayContaining(["dwarf", "lives"]));
  });

  it("renders Markdown emphasis instead of showing its asterisks, and keeps a run-in heading", () => {
    const { parts, html } = snippetOf(HOLDING, "breaking free of a hold contest");
    expect(html).not.toContain("***");
    expect(html).toMatch(/^<p><em><strong><mark>Breaking<\/mark> a <mark>Hold<\/mark>\.<\/strong><\/em> A held/);
    expect(visible(html)).toContain("To do so, it must win a contest of Strength against the one holding it.");
    expect(plain(parts)).toMatch(/^Breaking a Hold\. A held creature/);
    expect(plain(parts)).not.toContain("*");
  });

  it("keeps a paragraph's bold lead when the best sentence is further in", () => {
    const text = `**Ageing.** ${filler("growing", 4)} An elf is thought grown at a hundred winters, and most see seven hundred.`;
    const { html } = snippetOf(text, "elf winters");
    expect(html).toMatch(/^<p><strong>Ageing\.<\/strong>… /);
    expect(visible(html)).toContain("An elf is thought grown at a hundred winters, and most see seven hundred.");
  });

  it("never ends on a run-in heading without its sentence", () => {
    const long = (what: string) => `${what} ${"and then it goes on for a while, ".repeat(5)}until it stops.`;
    const text = `***Escaping.*** ${long("A grappled creature can try to escape")}\n\n***Moving a Grappled Creature.*** ${long("You can drag it")}`;
    const { html } = snippetOf(text, "grapple");
    expect(html).toMatch(/^<p><em><strong>Escaping\.<\/strong><\/em> A <mark>grappled<\/mark>/);
    expect(html).not.toContain("Moving");
  });

  it("says where a passage was cut mid-sentence", () => {
    const { parts } = snippetOf(
      "which the abbot never forgave. The bell of the abbey rings at dusk and the",
      "abbey bell",
    );
    expect(plain(parts)).toBe("…which the abbot never forgave. The bell of the abbey rings at dusk and the…");
  });

  it("shows a table as a table: its header and the rows that match", () => {
    const rows = [
      "Copper | Acid",
      "Brass | Fire",
      "Gold | Fire",
      "Silver | Cold",
      "Bronze | Lightning",
      "Azure | Lightning",
    ];
    const text = `Pick a lineage.\n\n| Lineage | Breath |\n|---|---|\n${rows.map((row) => `| ${row} |`).join("\n")}`;
    const { html, parts } = snippetOf(text, "lightning breath lineage");
    expect(html).toMatch(/^<table tabindex="0">/);
    expect(html).toContain("<thead>");
    expect(html).toMatch(/<th><mark>Lineage<\/mark><\/th>/);
    expect(html).toContain("<td>Bronze</td>");
    expect(html).toContain("<td>Azure</td>");
    expect(html).not.toContain("Copper");
    expect(html).not.toContain("|");
    expect(plain(parts)).toBe("Lineage | Breath / Bronze | Lightning / Azure | Lightning");
  });

  it("shows at most a few rows of a long table", () => {
    const rows = Array.from(
      { length: 30 },
      (_, i) => `| ${i + 1} | +${Math.ceil((i + 1) / 4) + 1} | Bonus feature ${i + 1} |`,
    );
    const text = `| Level | Bonus | Features |\n|---|---|---|\n${rows.join("\n")}`;
    const { html } = snippetOf(text, "bonus feature");
    expect(html.match(/<tr>/g)).toHaveLength(SNIPPET_ROWS + 1);
  });

  it("gives table rows cut from their header (a table split across passages) a table", () => {
    const { html } = snippetOf("| Gold | Fire |\n| Silver | Cold |", "silver");
    expect(html).toMatch(/^<table tabindex="0">/);
    expect(html).not.toContain("<thead>");
    expect(html).toContain("<td><mark>Silver</mark></td>");
  });

  it("marks words that share the term's stem (grappled for grapple), and numbers written either way", () => {
    const { html } = snippetOf("The ogre grappled the knight for three rounds (3 in all).", "grapple three");
    expect(marked(html)).toEqual(["grappled", "three", "3"]);
  });

  it("cuts one over-long sentence around its matches, with ellipses", () => {
    const long = `Travellers ${"walk and walk and walk, ".repeat(20)}until the lighthouse keeper lights the lamp ${"and waits and waits, ".repeat(20)}forever.`;
    const { parts, html } = snippetOf(long, "lighthouse keeper");
    const shown = plain(parts);
    expect(shown.startsWith("…")).toBe(true);
    expect(shown.endsWith("…")).toBe(true);
    expect(shown).toContain("lighthouse keeper");
    expect(shown.length).toBeLessThanOrEqual(SNIPPET_CHARS + 2);
    expect(marked(html)).toEqual(["lighthouse", "keeper"]);
  });

  it("stays bounded for a very long entry, near its match", () => {
    const text = `${"Long ago there was nothing here. ".repeat(3_000)}\n\nThe sunken bell rings at low tide.\n\n${"More of nothing. ".repeat(3_000)}`;
    const { parts, html } = snippetOf(text, "sunken bell");
    expect(plain(parts)).toContain("The sunken bell rings at low tide.");
    expect(html.length).toBeLessThan(SNIPPET_CHARS * 3);
  });

  it("starts at the beginning when no word matches (found by meaning alone)", () => {
    const { parts, html } = snippetOf("First things first. Then the rest of the story follows.", "zzz");
    expect(plain(parts)).toBe("First things first. Then the rest of the story follows.");
    expect(html).not.toContain("<mark>");
  });

  it("reads plain text and PDF text as text, never as Markdown", () => {
    const { html } = snippetOf("Roll *twice* and keep the <b>higher</b> die: 2 < 3 & so on.", "roll twice", "text");
    expect(html).toBe(
      "<p><mark>Roll</mark> *<mark>twice</mark>* and keep the &#x3C;b>higher&#x3C;/b> die: 2 &#x3C; 3 &#x26; so on.</p>",
    );
  });

  it("neutralises what a hostile file writes: raw HTML, script links, remote images, footnotes and ids", () => {
    const hostile = [
      'The vault <script>alert("vault")</script> opens <img src="https://evil.example/t.png" onerror="alert(1)"> at dawn.',
      "[Open the vault](javascript:alert(1)) or [the map](https://evil.example/map) or <a href='javascript:alert(2)'>here</a>.",
      "![vault door](https://evil.example/pixel.png) The vault[^1] is old.",
      "",
      "[^1]: Older than the <iframe src=https://evil.example></iframe> vault.",
    ].join("\n");
    const { html, parts } = snippetOf(hostile, "vault");
    expect(html).not.toMatch(/<(?:script|img|iframe|a|section|sup)\b/i);
    expect(html).not.toMatch(/javascript:|onerror|evil\.example|\bid=/i);
    expect(html).toContain("<mark>vault</mark>");
    // Link text and image alt text stay readable.
    expect(visible(html)).toContain("Open the vault");
    expect(visible(html)).toContain("vault door");
    expect(plain(parts)).not.toMatch(/<|javascript/);
  });

  it("never lets marking create markup from text", () => {
    const { html } = snippetOf("A `<mark onclick=x>` tag and &lt;b&gt; entities near the vault.", "vault mark");
    expect(html).not.toMatch(/<mark [^>]/);
    expect(html).toContain("<code>&#x3C;<mark>mark</mark> onclick=x></code>");
  });

  it("cuts a long Markdown paragraph at whole sentences, run-in heading kept, emphasis intact", () => {
    const sentences = Array.from({ length: 14 }, (_, i) =>
      i === 9
        ? "The *drowned* knights rise when the bell rings at dusk."
        : `Sentence ${i + 1} is *about* something else entirely.`,
    );
    const { html, parts } = snippetOf(`***Tides.*** ${sentences.join(" ")}`, "drowned knights bell");
    expect(html).toMatch(/^<p><em><strong>Tides\.<\/strong><\/em>… /);
    expect(html).toContain(
      "The <em><mark>drowned</mark></em> <mark>knights</mark> rise when the <mark>bell</mark> rings at dusk.",
    );
    expect(html).not.toContain("*");
    expect(plain(parts).length).toBeLessThanOrEqual(SNIPPET_CHARS + 60);
  });

  it("shows a paragraph without Markdown syntax exactly as the Markdown pipeline would", () => {
    const text = "The abbey stands on the cliff.\nIts bell has not rung in a hundred years.";
    expect(snippetOf(text, "nothing matches").html).toBe(renderMarkdown(text));
  });

  it("shows the lines of a code block around the match", () => {
    const lines = Array.from({ length: 60 }, (_, i) => (i === 40 ? "roll 2d6 + 3 for the ogre" : `line ${i}`));
    const { html } = snippetOf(`\`\`\`\n${lines.join("\n")}\n\`\`\``, "ogre");
    expect(html).toMatch(/^<pre><code>/);
    expect(html).toContain("roll 2d6 + 3 for the <mark>ogre</mark>");
    expect(html).not.toContain("line 0\n");
  });

  it("renders lists as lists, only the items around the match", () => {
    const items = Array.from({ length: 60 }, (_, i) =>
      i === 44 ? "- The harbour master hides the ledger." : `- Item ${i + 1} of the cargo.`,
    );
    const { html } = snippetOf(items.join("\n"), "ledger");
    expect(html).toMatch(/^<ul>/);
    expect(html).toContain("<li>The harbour master hides the <mark>ledger</mark>.</li>");
    expect(html).not.toContain("Item 1 of");
    expect(visible(html).length).toBeLessThanOrEqual(SNIPPET_CHARS);
  });
});

describe("the passage reader", () => {
  it("shows the overlap between consecutive chunks once: the passages read as the file", () => {
    const paragraph = (n: number) =>
      Array.from({ length: 9 }, (_, i) => `Paragraph ${n} says thing ${i + 1} about the drowned abbey.`).join(" ");
    const source = Array.from({ length: 8 }, (_, n) => paragraph(n + 1)).join("\n\n");
    const long = `${Array.from({ length: 600 }, (_, i) => `w${i}`).join(" ")} end of the long one.`;
    for (const blocks of [extractMarkdown(`# Abbey\n\n${source}`), extractPlainText(`${source}\n\n${long}`)]) {
      const chunks = chunkBlocks(blocks);
      expect(chunks.length).toBeGreaterThan(2);
      const bodies = chunks.map((chunk) => chunk.text.replace(/^Abbey\n/, ""));
      const shown = bodies.map((body, i) => (i === 0 ? body : withoutOverlap(bodies[i - 1] ?? "", body)));
      const squash = (text: string) => text.replace(/\s+/g, " ").trim();
      expect(squash(shown.join(" "))).toBe(squash(blocks.map((block) => block.text).join(" ")));
    }
  });

  it("renders a Markdown passage as formatted, sanitized HTML", () => {
    const html = passageHtml(
      "***Tides.*** The bell rings.\n\n- one\n- two\n\n[site](https://example.com) [bad](javascript:alert(1)) ![pixel](https://evil.example/p.png) <script>x</script>",
    );
    expect(html).toContain("<p><em><strong>Tides.</strong></em> The bell rings.</p>");
    expect(html).toContain("<ul>");
    expect(html).toContain('<a href="https://example.com" rel="nofollow noopener noreferrer">site</a>');
    expect(html).not.toMatch(/javascript:|<img|<script|evil\.example/);
    expect(html).toContain("pixel");
  });

  it("keeps footnotes and indented paragraphs, without ids that passages on one page would share", () => {
    const html = passageHtml(
      "The lich[^1] waits.\n\n1. Find the well\n\n   Then climb down.\n\n[^1]: Vecnaar, of old.",
    );
    expect(html).toContain("Vecnaar, of old.");
    expect(html).toContain("<sup>1</sup>");
    expect(html).toContain("<p>Then climb down.</p>");
    expect(html).not.toMatch(/\bid=|href="#/);
  });

  it("renders paragraphs without Markdown syntax as the pipeline does", () => {
    const text = "The abbey stands on the cliff.\nIts bell is silent.\n\nThe tide comes in twice a day.";
    expect(passageHtml(text)).toBe(renderMarkdown(text));
  });

  it("gives a table continued from the previous passage its header row back", () => {
    const previous = "Intro.\n\n| Lineage | Breath |\n|---|---|\n| Gold | Fire |";
    expect(continueTable(previous, "| Silver | Cold |")).toBe("| Lineage | Breath |\n|---|---|\n| Silver | Cold |");
    expect(continueTable("Just text.", "| Silver | Cold |")).toBe("| Silver | Cold |");
    expect(continueTable(previous, "Text after.")).toBe("Text after.");
    expect(passageHtml(continueTable(previous, "| Silver | Cold |"))).toContain("<th>Lineage</th>");
  });
});

describe("search results carry readable snippets", () => {
  it("renders a Markdown file's hit formatted, and a plain text file's as text", async () => {
    const gm = await newUser();
    const files = [
      await storeFile(
        gm.username,
        "Holds.md",
        new TextEncoder().encode(`# Wrestling\n\n${HOLDING}\n`),
        "text/markdown",
      ),
      await storeFile(
        gm.username,
        "Holds.txt",
        new TextEncoder().encode("***Breaking a Hold.*** In plain text the stars stay."),
        "text/plain",
      ),
    ];
    await withQueue(gm.id, async (queue) => {
      for (const file of files) await queue.enqueue(file);
      await drain(queue);
    });
    const { search } = await import("~/server/search/search.server");
    const { results } = await search(services.search, gm, { query: "breaking a hold", k: 10 });
    const byFile = (name: string) =>
      results.find((r) => r.source.kind === "chunk" && r.source.fileName === name) as SearchResult;
    expect(byFile("Holds.md").snippetHtml).toMatch(
      /<em><strong><mark>Breaking<\/mark> a <mark>Hold<\/mark>\.<\/strong><\/em>/,
    );
    expect(byFile("Holds.txt").snippetHtml).toContain("***<mark>Breaking</mark> a <mark>Hold</mark>.***");
    expect(plain(byFile("Holds.md").snippet)).not.toContain("*");
  });
});

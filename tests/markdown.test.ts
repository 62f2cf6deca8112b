import { describe, expect, it } from "vitest";
import { MARKDOWN_MAX_LENGTH, markdownToPlainText, renderMarkdown } from "~/server/markdown.server";

// ---------------------------------------------------------------------------------------
// An independent check of the rendered HTML. It tokenizes the output into tags and
// attributes, and fails on anything that could run script, load a foreign document, or
// restyle the page. It does not trust the sanitizer's own rules.
// ---------------------------------------------------------------------------------------

const TAG = /<\/?([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

const FORBIDDEN_TAGS = new Set([
  "script",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "style",
  "link",
  "form",
  "input",
  "button",
  "textarea",
  "select",
  "meta",
  "base",
  "body",
  "html",
  "head",
  "svg",
  "math",
  "noscript",
  "template",
]);

const URL_ATTRIBUTES = new Set([
  "href",
  "src",
  "srcset",
  "action",
  "formaction",
  "data",
  "poster",
  "background",
  "cite",
  "longdesc",
  "xlink:href",
  "ping",
  "codebase",
  "dynsrc",
  "lowsrc",
  "manifest",
  "icon",
]);

const SAFE_SCHEMES = new Set(["http", "https", "mailto"]);

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  apos: "'",
  colon: ":",
  gt: ">",
  lpar: "(",
  lt: "<",
  newline: "\n",
  nbsp: "\u00a0",
  quot: '"',
  rpar: ")",
  sol: "/",
  tab: "\t",
};

/** Decodes character references the way a browser would in an attribute value. */
// One pass, as in a browser: "&#x26;#106;" decodes to the text "&#106;", not to "j".
// Numeric references without ";" are decoded too (browsers do, with a parse error).
function decodeEntities(value: string): string {
  return value.replace(/&(?:#x([0-9a-f]+)|#(\d+)|([a-z]+));?/gi, (match, hex?: string, dec?: string, name?: string) => {
    const code = hex ? Number.parseInt(hex, 16) : dec ? Number.parseInt(dec, 10) : undefined;
    if (code !== undefined) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
    return NAMED_ENTITIES[(name ?? "").toLowerCase()] ?? match;
  });
}

/** The URL's scheme as a browser sees it (lowercased), or null for a relative URL. */
function schemeOf(rawValue: string): string | null {
  // Browsers ignore leading/trailing C0 controls and spaces, and drop tabs and newlines
  // anywhere in a URL. Stripping every control and space character is stricter still.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const value = decodeEntities(rawValue).replace(/[\u0000-\u0020\u007f-\u009f\u00a0\u200b-\u200d\ufeff]/g, "");
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  return match?.[1] ? match[1].toLowerCase() : null;
}

/** Throws with the reason if `html` is not safe to hand to `dangerouslySetInnerHTML`. */
function assertSafeHtml(html: string): void {
  const problems: string[] = [];
  for (const tag of html.matchAll(TAG)) {
    const name = (tag[1] ?? "").toLowerCase();
    // The one <input> allowed: a GFM task-list checkbox, disabled, with nothing else on it.
    const taskListCheckbox = name === "input" && /^\s+type="checkbox"(?:\s+checked)?\s+disabled$/.test(tag[2] ?? "");
    if (FORBIDDEN_TAGS.has(name) && !taskListCheckbox) problems.push(`forbidden tag <${name}>`);
    for (const attribute of (tag[2] ?? "").matchAll(ATTRIBUTE)) {
      const attrName = (attribute[1] ?? "").toLowerCase();
      const value = attribute[2] ?? attribute[3] ?? attribute[4] ?? "";
      if (/^on/.test(attrName)) problems.push(`event handler ${attrName} on <${name}>`);
      if (attrName === "style") problems.push(`style attribute on <${name}>`);
      if (attrName === "srcdoc") problems.push(`srcdoc on <${name}>`);
      if (URL_ATTRIBUTES.has(attrName)) {
        for (const url of attrName === "srcset" ? value.split(",") : [value]) {
          const scheme = schemeOf(url);
          if (scheme !== null && !SAFE_SCHEMES.has(scheme)) {
            problems.push(`${attrName}="${value}" on <${name}> has scheme ${scheme}:`);
          }
        }
      }
    }
  }
  // Text is escaped, so every "<" left once the tags are removed is markup the tokenizer
  // above did not understand (a comment, a malformed tag): fail rather than guess.
  const rest = html.replace(TAG, "");
  if (rest.includes("<"))
    problems.push(`unrecognised markup: ${rest.slice(rest.indexOf("<"), rest.indexOf("<") + 60)}`);
  if (problems.length > 0) throw new Error(`unsafe HTML (${problems.join("; ")}):\n${html}`);
}

describe("assertSafeHtml (the checker itself)", () => {
  it.each([
    ["<script>alert(1)</script>"],
    ['<img src="x" onerror="alert(1)">'],
    ["<img src=x ONERROR=alert(1)>"],
    ['<a href="javascript:alert(1)">x</a>'],
    ['<a href=" JaVa&#x09;Script&colon;alert(1)">x</a>'],
    ['<a href="&#106;avascript:alert(1)">x</a>'],
    ['<a href="&#0000106&#0000097vascript:alert(1)">x</a>'],
    ['<img src="data:image/svg+xml;base64,AAAA">'],
    ['<a href="vbscript:msgbox(1)">x</a>'],
    ['<p style="color:red">x</p>'],
    ['<iframe src="https://example.com"></iframe>'],
    ["<input type=checkbox>"],
    ['<input type="checkbox" disabled autofocus>'],
    ['<input type="text" disabled>'],
    ['<a href="&#x26;#106;avascript:x">ok</a> <a href="&#106avascript:x">x</a>'],
    ["<!-- x --><p>x</p>"],
    ['<a href="irc://example.com">x</a>'],
  ])("rejects %s", (html) => {
    expect(() => assertSafeHtml(html)).toThrow(/unsafe HTML/);
  });

  it("accepts ordinary safe markup", () => {
    expect(() =>
      assertSafeHtml(
        '<p><a href="https://example.com/a?b=1&#x26;c=2" rel="nofollow">x</a> <a href="/notes#x">y</a> ' +
          '<a href="mailto:gm@example.com">z</a> <img src="https://example.com/a.png" alt="<map>"> 1 &#x3C; 2 > 0</p>' +
          '<ul><li><input type="checkbox" checked disabled> done</li><li><input type="checkbox" disabled> todo</li></ul>' +
          '<a href="&#x26;#106;avascript:x">a relative URL</a>',
      ),
    ).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// Rendering.
// ---------------------------------------------------------------------------------------

describe("renderMarkdown", () => {
  it("renders headings and paragraphs, with no ids to clobber the page", () => {
    const html = renderMarkdown("# The Sunken Keep\n\n## Level 1\n\nA damp *stone* hall.\n\n###### Small print");
    expect(html).toContain("<h1>The Sunken Keep</h1>");
    expect(html).toContain("<h2>Level 1</h2>");
    expect(html).toContain("<p>A damp <em>stone</em> hall.</p>");
    expect(html).toContain("<h6>Small print</h6>");
    expect(html).not.toMatch(/\sid=/);
    assertSafeHtml(html);
  });

  it("renders unordered, ordered and nested lists", () => {
    const html = renderMarkdown("- goblins\n- kobolds\n  - with spears\n\n3. third\n4. fourth");
    expect(html).toMatch(
      /<ul>\s*<li>goblins<\/li>\s*<li>kobolds\s*<ul>\s*<li>with spears<\/li>\s*<\/ul>\s*<\/li>\s*<\/ul>/,
    );
    expect(html).toMatch(/<ol start="3">\s*<li>third<\/li>\s*<li>fourth<\/li>\s*<\/ol>/);
    assertSafeHtml(html);
  });

  it("renders GFM task lists as disabled checkboxes", () => {
    const html = renderMarkdown("- [x] Hire the party\n- [ ] Betray the party");
    expect(html).toContain('<ul class="contains-task-list">');
    expect(html).toMatch(/<li class="task-list-item"><input type="checkbox" checked disabled> Hire the party<\/li>/);
    expect(html).toMatch(/<li class="task-list-item"><input type="checkbox" disabled> Betray the party<\/li>/);
  });

  it("renders a GFM table with alignment, focusable so a keyboard can scroll a wide one", () => {
    const html = renderMarkdown(
      "| Name | HP | Notes |\n| :--- | ---: | :---: |\n| Orc | 15 | *angry* |\n| Owlbear | 59 | `hug` |",
    );
    expect(html).toMatch(
      /<table tabindex="0">\s*<thead>\s*<tr>\s*<th align="left">Name<\/th>\s*<th align="right">HP<\/th>\s*<th align="center">Notes<\/th>\s*<\/tr>\s*<\/thead>/,
    );
    expect(html).toMatch(/<tbody>\s*<tr>\s*<td align="left">Orc<\/td>\s*<td align="right">15<\/td>/);
    expect(html).toContain('<td align="center"><em>angry</em></td>');
    expect(html).toContain('<td align="center"><code>hug</code></td>');
    assertSafeHtml(html);
  });

  it("renders emphasis, strong emphasis and strikethrough", () => {
    const html = renderMarkdown("*one* _two_ **three** __four__ ~~five~~ ***six***");
    expect(html).toBe(
      "<p><em>one</em> <em>two</em> <strong>three</strong> <strong>four</strong> <del>five</del> <em><strong>six</strong></em></p>",
    );
  });

  it("marks absolute http(s) links nofollow noopener noreferrer, and leaves other links alone", () => {
    const html = renderMarkdown(
      '[wiki](https://example.com/wiki?a=1&b=2 "The wiki") [old](http://example.org) [notes](/campaigns/1/notes) [top](?page=2) [mail](mailto:gm@example.com)',
    );
    expect(html).toContain(
      '<a href="https://example.com/wiki?a=1&#x26;b=2" title="The wiki" rel="nofollow noopener noreferrer">wiki</a>',
    );
    expect(html).toContain('<a href="http://example.org" rel="nofollow noopener noreferrer">old</a>');
    expect(html).toContain('<a href="/campaigns/1/notes">notes</a>');
    expect(html).toContain('<a href="?page=2">top</a>');
    expect(html).toContain('<a href="mailto:gm@example.com">mail</a>');
    expect(html).not.toContain("target=");
    assertSafeHtml(html);
  });

  it("turns bare URLs into links (GFM autolink literals) and drops protocols outside the allow-list", () => {
    const html = renderMarkdown(
      "See www.example.com and <https://example.net>.\n\n[chat](irc://irc.example.net/gm) [x](ftp://x.y)",
    );
    expect(html).toContain('<a href="http://www.example.com" rel="nofollow noopener noreferrer">www.example.com</a>');
    expect(html).toContain('<a href="https://example.net" rel="nofollow noopener noreferrer">https://example.net</a>');
    expect(html).toContain("<a>chat</a>");
    expect(html).toContain("<a>x</a>");
    assertSafeHtml(html);
  });

  it("renders images from http(s) and relative URLs only", () => {
    const html = renderMarkdown("![map](https://example.com/map.png) ![local](/files/map.png) ![bad](ftp://x.y/a.png)");
    expect(html).toContain('<img src="https://example.com/map.png" alt="map">');
    expect(html).toContain('<img src="/files/map.png" alt="local">');
    expect(html).toContain('<img alt="bad">');
    assertSafeHtml(html);
  });

  it("renders inline code and fenced code with a language class, escaped", () => {
    const html = renderMarkdown(
      "Use `<b>` sparingly.\n\n```ts\nconst hp = roll(2, 6) < 7 && a;\n```\n\n    indented <code>",
    );
    expect(html).toContain("<p>Use <code>&#x3C;b></code> sparingly.</p>");
    expect(html).toContain(
      '<pre><code class="language-ts">const hp = roll(2, 6) &#x3C; 7 &#x26;&#x26; a;\n</code></pre>',
    );
    expect(html).toContain("<pre><code>indented &#x3C;code>\n</code></pre>");
    assertSafeHtml(html);
  });

  it("renders blockquotes and thematic breaks", () => {
    const html = renderMarkdown("> The dragon speaks.\n>\n> > Echo.\n\n---");
    expect(html).toMatch(
      /<blockquote>\s*<p>The dragon speaks.<\/p>\s*<blockquote>\s*<p>Echo.<\/p>\s*<\/blockquote>\s*<\/blockquote>\s*<hr>/,
    );
  });

  it("drops raw HTML but keeps the Markdown text around it", () => {
    const html = renderMarkdown(
      'Hello <b>bold</b> <span style="color:red">world</span>\n\n<div>\nblock\n</div>\n\nafter',
    );
    expect(html).toContain("<p>Hello bold world</p>");
    expect(html).not.toContain("<div");
    expect(html).not.toContain("<b>");
    expect(html).toContain("<p>after</p>");
    assertSafeHtml(html);
  });

  it("prefixes footnote ids against DOM clobbering and keeps the footnote links working", () => {
    const html = renderMarkdown("The lich[^phylactery] waits.\n\n[^phylactery]: Hidden in the well.\n");
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    for (const id of ids) expect(id).toMatch(/^user-content-(?!user-content-)/);
    const fragments = [...html.matchAll(/\shref="#([^"]+)"/g)].map((m) => m[1]);
    expect(fragments.length).toBe(2);
    for (const fragment of fragments) expect(ids).toContain(fragment);
    expect(html).toContain('aria-describedby="user-content-footnote-label"');
    assertSafeHtml(html);
  });

  it("prefixes in-page links to match the prefixed ids", () => {
    expect(renderMarkdown("[up](#top)")).toBe('<p><a href="#user-content-top">up</a></p>');
    expect(renderMarkdown("[here](#)")).toBe('<p><a href="#">here</a></p>');
  });

  it("returns an empty string for empty input", () => {
    expect(renderMarkdown("")).toBe("");
    expect(renderMarkdown("   \n\n  ")).toBe("");
  });

  it("renders input up to the cap in full, with no note", () => {
    const html = renderMarkdown(`${"a".repeat(MARKDOWN_MAX_LENGTH - 1)}Z`);
    expect(html.endsWith("aZ</p>")).toBe(true);
    expect(html.includes("longer than")).toBe(false);
  });

  it("truncates input over the cap, with a note, without splitting a surrogate pair", () => {
    const html = renderMarkdown(`${"a".repeat(MARKDOWN_MAX_LENGTH - 1)}🐉 and beyond`);
    expect(html.includes("beyond")).toBe(false);
    expect(html.startsWith(`<p>${"a".repeat(MARKDOWN_MAX_LENGTH - 1)}</p>`)).toBe(true);
    expect(html).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(html).not.toMatch(/(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(html).toMatch(/<p><em>This entry is longer than 200,000 characters; the rest is not shown\.<\/em><\/p>$/);
    assertSafeHtml(html);
  });
});

// ---------------------------------------------------------------------------------------
// The CPU budget: shapes the parser handles super-linearly are shown as plain text.
// ---------------------------------------------------------------------------------------

const UNFORMATTED = "<p><em>The rest of this entry is too complex to format, and is shown as plain text.</em></p>";

/** An ordinary campaign document of about `length` characters. */
function ordinaryDocument(length: number): string {
  const session = (i: number) =>
    `## Session ${i}\n\n${"The party crosses the *Misty Mountains* at dawn, guided by [Pip](https://example.com/pip). ".repeat(4)}\n\n` +
    `- [x] Paid the innkeeper\n- [ ] Follow up on the **cult**\n\n| NPC | Attitude |\n| --- | --- |\n| Pip | friendly |\n\n` +
    `> "We should turn back," said Pip.\n\n\`\`\`\nroll 2d6+3\n\`\`\`\n\n`;
  let doc = "";
  for (let i = 1; doc.length < length; i++) doc += session(i);
  return doc.slice(0, length);
}

// Parsing the larger documents here takes seconds on a loaded machine.
describe("renderMarkdown's CPU budget", { timeout: 60_000 }, () => {
  it("formats an ordinary document close to the length cap in full", () => {
    const html = renderMarkdown(ordinaryDocument(MARKDOWN_MAX_LENGTH - 1_000));
    expect(html.includes("too complex")).toBe(false);
    expect(html.includes("longer than")).toBe(false);
    expect(html.includes("<h2>Session 300</h2>")).toBe(true);
  });

  it("formats the document up to a pathological block, and shows the rest as escaped plain text", () => {
    const html = renderMarkdown(
      `# Intro\n\nHello *world*.\n\n${"[".repeat(3_000)}<img src=x onerror=alert(1)>\n\nafter **this**`,
    );
    expect(html.startsWith("<h1>Intro</h1>\n<p>Hello <em>world</em>.</p>\n")).toBe(true);
    expect(html).toContain(UNFORMATTED);
    expect(html).toContain(`<p>${"[".repeat(3_000)}&lt;img src=x onerror=alert(1)&gt;</p>`);
    expect(html.endsWith("<p>after **this**</p>")).toBe(true);
    assertSafeHtml(html);
  });

  it.each([
    ["deeply nested brackets", "[".repeat(50_000) + "]".repeat(50_000)],
    ["a long run of emphasis markers", "a**".repeat(20_000)],
    ["a long run of strikethrough markers", "~~a".repeat(20_000)],
    ["thousands of setext headings", "Heading\n===\n".repeat(3_000)],
    ["the same with CR line endings", "Heading\r===\r".repeat(3_000)],
    ["thousands of list items", "* item\n".repeat(6_000)],
    ["over ten thousand lines", "line\n".repeat(12_000)],
    ["deeply nested block quotes", `${">".repeat(20_000)} deep`],
    ["deeply nested lists on one line", `${"- ".repeat(5_000)}deep`],
    [
      "deeply indented nested lists",
      Array.from({ length: 500 }, (_, i) => `${" ".repeat(i * 2)}- level ${i}`).join("\n"),
    ],
  ])("falls back to plain text for %s", (_, markdown) => {
    const html = renderMarkdown(markdown);
    expect(html.includes(UNFORMATTED)).toBe(true);
    assertSafeHtml(html);
  });

  it("counts markup per list item, so a long list of ordinary items stays formatted", () => {
    // 300 items × 10 markup characters: over the per-paragraph budget if counted as one block.
    const html = renderMarkdown("- [ ] Visit [the tower](/places/tower) *before* ~~dawn~~ dusk\n".repeat(300));
    expect(html.includes("too complex")).toBe(false);
    expect(html.match(/<li class="task-list-item">/g)?.length).toBe(300);
  });

  it("treats CRLF and CR line endings like LF", () => {
    const lf = renderMarkdown("# Title\n\n- one\n- two\n");
    expect(renderMarkdown("# Title\r\n\r\n- one\r\n- two\r\n")).toBe(lf);
    expect(renderMarkdown("# Title\r\r- one\r- two\r")).toBe(lf);
  });
});

// ---------------------------------------------------------------------------------------
// XSS payloads, after the OWASP XSS filter evasion cheat sheet, adapted to Markdown.
// ---------------------------------------------------------------------------------------

const XSS_PAYLOADS: string[] = [
  // Raw HTML.
  "<script>alert(1)</script>",
  "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
  '<script\x20type="text/javascript">alert(1);</script>',
  "<<SCRIPT>alert(1);//\\<</SCRIPT>",
  "<img src=x onerror=alert(1)>",
  "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
  "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
  "<img src=`javascript:alert(1)`>",
  "<svg onload=alert(1)>",
  "<svg><script>alert(1)</script></svg>",
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="&#x6A;avascript:alert(1)">x</a>',
  '<a href="#" onclick="alert(1)">x</a>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  "<style>@import 'https://xss.example/xss.css';</style>",
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<p style="width: expression(alert(1))">x</p>',
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  "<details open ontoggle=alert(1)>",
  "<form action=javascript:alert(1)><button>x</button></form>",
  '<button formaction="javascript:alert(1)">x</button>',
  "<input autofocus onfocus=alert(1)>",
  "<body onload=alert(1)>",
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="javascript:alert(1)//">',
  '<video><source onerror="alert(1)"></video>',
  '<x onmouseover="alert(1)">hover</x>',
  '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  "<!-- --><script>alert(1)</script> -->",
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  "<![CDATA[<script>alert(1)</script>]]>",
  "<? echo('<script>alert(1)</script>'); ?>",
  // Markdown links and images.
  "[x](javascript:alert(1))",
  "[x](JaVaScRiPt:alert(1))",
  "[x](&#106;avascript:alert(1))",
  "[x](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1))",
  "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
  "[x](javascript&colon;alert(1))",
  "[x](  javascript:alert(1))",
  "[x](<javascript:alert(1)>)",
  "[x](<java\tscript:alert(1)>)",
  "[x](java&#x09;script:alert(1))",
  "[x](java&Tab;script:alert(1))",
  "[x](\\javascript:alert(1))",
  "[x](%6Aavascript:alert(1))",
  "![x](javascript:alert(1))",
  "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
  "[x](vbscript:msgbox(1))",
  "[x](VBScript&colon;msgbox(1))",
  "[x](file:///etc/passwd)",
  "[x][1]\n\n[1]: javascript:alert(1)",
  '[x]\n\n[x]: <javascript:alert(1)> "title"',
  "![x][img]\n\n[img]: data:image/svg+xml,<svg/onload=alert(1)>",
  "<javascript:alert(1)>",
  "<JAVASCRIPT:alert(1)>",
  "<vbscript:msgbox(1)>",
  "<data:text/html,<script>alert(1)</script>>",
  // Attribute break-outs through Markdown syntax.
  '[x](https://example.com "title\\" onmouseover=\\"alert(1)")',
  '[x](https://example.com" onmouseover="alert(1))',
  '![x" onerror="alert(1)](https://example.com/a.png)',
  '![x](https://example.com/a.png" onerror="alert(1))',
  '```"><script>alert(1)</script>\nx\n```',
  '```js" onmouseover="alert(1)\nx\n```',
  // HTML inside other Markdown constructs.
  "| a | b |\n| - | - |\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
  "- [ ] <input autofocus onfocus=alert(1)>\n- [x] <script>alert(1)</script>",
  "> <iframe src=javascript:alert(1)>",
  "Text[^1]\n\n[^1]: <script>alert(1)</script> [x](javascript:alert(1))",
  "*<img src=x onerror=alert(1)>* **<svg onload=alert(1)>** ~~<body onload=alert(1)>~~",
  // Past the CPU budget, where the rest is escaped as plain text instead of parsed.
  `${"[".repeat(2_500)}<script>alert(1)</script><img src=x onerror=alert(1)>`,
  `${">".repeat(100)} <iframe src=javascript:alert(1)> "' & <a href="javascript:alert(1)">x</a>`,
  `${"a\n=\n".repeat(300)}<svg onload=alert(1)>\n\n[x](javascript:alert(1))`,
];

describe("renderMarkdown against XSS payloads", () => {
  it("has a substantial payload list", () => {
    expect(XSS_PAYLOADS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(XSS_PAYLOADS.map((payload) => [payload]))("neutralises %j", (payload) => {
    const html = renderMarkdown(payload);
    assertSafeHtml(html);
    // Also inside a larger document, where block and inline parsing differ.
    assertSafeHtml(renderMarkdown(`# Notes\n\nBefore ${payload} after.\n\n${payload}\n\n- ${payload}\n`));
  });

  it("keeps the visible text of a neutralised link", () => {
    expect(renderMarkdown("[click me](javascript:alert(1))")).toBe("<p><a>click me</a></p>");
    expect(renderMarkdown("![a map](javascript:alert(1))")).toBe('<p><img alt="a map"></p>');
  });
});

// ---------------------------------------------------------------------------------------
// Plain-text previews.
// ---------------------------------------------------------------------------------------

describe("markdownToPlainText", () => {
  it("strips Markdown syntax and separates blocks with spaces", () => {
    const text = markdownToPlainText(
      "# The Sunken Keep\n\nA *damp* **stone** hall with ~~three~~ [two doors](https://example.com) and `traps`.\n\n- goblins\n- [x] kobolds\n\n> Beware.\n\n```\nroll 2d6\n```\n\nEnd.",
    );
    expect(text).toBe(
      "The Sunken Keep A damp stone hall with three two doors and traps. goblins kobolds Beware. roll 2d6 End.",
    );
  });

  it("drops raw HTML tags and blocks and reference definitions, keeps image alt text and table cells", () => {
    expect(
      markdownToPlainText(
        'Hi <b>there</b> <span title="x">you</span>\n\n<script>\nalert(1)\n</script>\n\n![a map](/m.png) [ref][1]\n\n[1]: https://x.y',
      ),
    ).toBe("Hi there you a map ref");
    expect(markdownToPlainText("| a | b |\n| - | - |\n| c | d |")).toBe("a b c d");
  });

  it("turns hard line breaks into spaces", () => {
    expect(markdownToPlainText("line one  \nline two\\\nline three")).toBe("line one line two line three");
  });

  it("returns short text whole, and long text cut at a word with an ellipsis", () => {
    expect(markdownToPlainText("A *short* note.", 15)).toBe("A short note.");
    const long = markdownToPlainText(
      "The party crosses the **Misty Mountains** at dawn, guided by a nervous halfling.",
      40,
    );
    expect(long).toBe("The party crosses the Misty Mountains…");
    expect(long.length).toBeLessThanOrEqual(40);
  });

  it("cuts inside a word only when there is no space near the end", () => {
    const text = markdownToPlainText("Supercalifragilisticexpialidocious", 10);
    expect(text).toBe("Supercali…");
    expect(text.length).toBe(10);
  });

  it("defaults to 200 characters", () => {
    const text = markdownToPlainText("word ".repeat(100));
    expect(text.endsWith("…")).toBe(true);
    expect(text.length).toBeLessThanOrEqual(200);
    expect(text.length).toBeGreaterThan(190);
  });

  it("handles empty input and a zero length", () => {
    expect(markdownToPlainText("")).toBe("");
    expect(markdownToPlainText("---\n\n<div></div>")).toBe("");
    expect(markdownToPlainText("Some text", 0)).toBe("");
  });

  it("reads only the start of a long document, and still marks the preview as cut", () => {
    const hidden = `Intro.\n\n<!--\n${"hidden note\n".repeat(500)}-->\n\nLater text.`;
    expect(markdownToPlainText(hidden)).toBe("Intro.…");
    const long = markdownToPlainText(ordinaryDocument(MARKDOWN_MAX_LENGTH * 2), 80);
    expect(long).toBe("Session 1 The party crosses the Misty Mountains at dawn, guided by Pip. The…");
  });

  it("stays cheap and safe on pathological input", () => {
    const brackets = markdownToPlainText("[".repeat(100_000));
    expect(brackets).toBe(`${"[".repeat(199)}…`);
    expect(markdownToPlainText(`${">".repeat(50_000)} deep`)).toBe("");
    const stars = markdownToPlainText(`Title\n\n${"a**".repeat(50_000)}`);
    expect(stars).toMatch(/^Title a+…$/);
    expect(stars.length).toBe(200);
  });
});

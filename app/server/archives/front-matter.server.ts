/**
 * YAML front matter (ADR 0039): a small, bounded subset, written and read here.
 *
 * Written: `key: value` lines between `---` fences, every string double-quoted with
 * escapes for anything that is not plain printable text (quotes, backslashes, newlines,
 * control characters, U+2028/2029, the byte order mark), numbers and booleans plain,
 * lists in flow style. A double-quoted YAML scalar read back is exactly the string
 * written, for any string, which the tests hold it to.
 *
 * Read (notes from an Obsidian vault, written by people and plugins): `key: value` with
 * plain, single- or double-quoted scalars, flow lists of scalars (`[a, "b"]`), block lists
 * (`- item` lines), and literal or folded block scalars (`|`, `>`). Whatever else a note
 * holds under a key (nested maps, nested lists, anchors) makes that key's value
 * `unsupported` and is skipped, never recursed into, so no input can nest deeper than one
 * list. Size and line count are capped before anything is read.
 */

export type FrontMatterScalar = string | number | boolean | null;
export type FrontMatterValue = FrontMatterScalar | FrontMatterScalar[];

/** Front matter longer than this is not read (a note's properties are a few lines). */
export const MAX_FRONT_MATTER_BYTES = 16 * 1024;
export const MAX_FRONT_MATTER_LINES = 300;

export class FrontMatterError extends Error {
  override name = "FrontMatterError";
}

/** What a value read back is when its shape is outside the subset. */
export const UNSUPPORTED = Symbol("unsupported front matter value");
export type ReadValue = FrontMatterValue | typeof UNSUPPORTED;

/** A string as a double-quoted YAML scalar (also valid JSON). */
export function quoteYaml(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const char = text[i] as string;
    if (char === '"') out += '\\"';
    else if (char === "\\") out += "\\\\";
    else if (char === "\n") out += "\\n";
    else if (char === "\t") out += "\\t";
    else if (char === "\r") out += "\\r";
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += char + (text[i + 1] as string);
        i++;
      } else out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      code === 0xfeff ||
      (code >= 0xd800 && code <= 0xdfff)
    ) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += char;
  }
  return `${out}"`;
}

function writeValue(value: FrontMatterValue): string {
  if (Array.isArray(value)) return `[${value.map(writeValue).join(", ")}]`;
  if (value === null) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new FrontMatterError("numbers in front matter must be finite");
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  return quoteYaml(value);
}

/** `---`, one `key: value` line per field (undefined ones left out), `---`, and a newline. */
export function writeFrontMatter(fields: Record<string, FrontMatterValue | undefined>): string {
  const lines = Object.entries(fields)
    .filter((pair): pair is [string, FrontMatterValue] => pair[1] !== undefined)
    .map(([key, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) throw new FrontMatterError(`not a plain key: ${key}`);
      return `${key}: ${writeValue(value)}`;
    });
  return `---\n${lines.join("\n")}\n---\n`;
}

/**
 * A note split into its front matter (the text between the fences, or null when it has
 * none) and its body: everything after the closing fence's line, byte for byte.
 */
export function splitFrontMatter(text: string): { frontMatter: string | null; body: string } {
  const start = text.startsWith("\uFEFF") ? 1 : 0;
  const open = /^---[ \t]*\r?\n/.exec(text.slice(start, start + 8));
  if (!open) return { frontMatter: null, body: text };
  const from = start + open[0].length;
  const fence = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/gm;
  fence.lastIndex = from;
  // The closing fence must begin a line (also straight after the opening one: empty front matter).
  let match: RegExpExecArray | null = null;
  for (let found = fence.exec(text); found; found = fence.exec(text)) {
    if (found.index === from || text[found.index - 1] === "\n") {
      match = found;
      break;
    }
    if (found.index - from > MAX_FRONT_MATTER_BYTES) break;
  }
  if (!match) return { frontMatter: null, body: text };
  if (match.index - from > MAX_FRONT_MATTER_BYTES) throw new FrontMatterError("its front matter is too long");
  return { frontMatter: text.slice(from, match.index), body: text.slice(match.index + match[0].length) };
}

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\x85",
  _: "\xa0",
  L: "\u2028",
  P: "\u2029",
};

/** A double-quoted scalar starting at `text[at]` (the quote): its value and where it ends. */
function readDoubleQuoted(text: string, at: number): { value: string; end: number } {
  let out = "";
  for (let i = at + 1; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '"') return { value: out, end: i + 1 };
    if (char !== "\\") {
      out += char;
      continue;
    }
    const next = text[i + 1] ?? "";
    const width = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
    if (width) {
      const hex = text.slice(i + 2, i + 2 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) throw new FrontMatterError("a bad \\ escape");
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw new FrontMatterError("a bad \\ escape");
      out += String.fromCodePoint(code);
      i += 1 + width;
      continue;
    }
    const escaped = ESCAPES[next];
    if (escaped === undefined) throw new FrontMatterError(`an unknown escape \\${next}`);
    out += escaped;
    i += 1;
  }
  throw new FrontMatterError("a quoted value that does not end on its line");
}

function readSingleQuoted(text: string, at: number): { value: string; end: number } {
  let out = "";
  for (let i = at + 1; i < text.length; i++) {
    const char = text[i];
    if (char === "'") {
      if (text[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      return { value: out, end: i + 1 };
    }
    out += char;
  }
  throw new FrontMatterError("a quoted value that does not end on its line");
}

function plainScalar(text: string): FrontMatterScalar | typeof UNSUPPORTED {
  // A comment starts at " #"; cut at its index (a regex over the whole run of spaces would backtrack).
  const comment = text.search(/\s#/);
  const value = (comment < 0 ? text : text.slice(0, comment)).trim();
  if (value === "" || value === "~" || value === "null" || value === "Null" || value === "NULL") return null;
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  if (/^[-+]?\d{1,15}(\.\d+)?$/.test(value)) return Number(value);
  // Anchors, aliases, tags, nested collections: outside the subset.
  if (/^[&*!{[]/.test(value) || value.startsWith("- ") || value === "-") return UNSUPPORTED;
  return value;
}

/** What follows a closing quote may only be spaces and a comment. */
function afterQuoted(text: string, end: number): void {
  if (!/^\s*(#.*)?$/.test(text.slice(end))) throw new FrontMatterError("text after a quoted value");
}

function inlineScalar(text: string): FrontMatterScalar | typeof UNSUPPORTED {
  const trimmed = text.trim();
  if (trimmed.startsWith('"')) {
    const { value, end } = readDoubleQuoted(trimmed, 0);
    afterQuoted(trimmed, end);
    return value;
  }
  if (trimmed.startsWith("'")) {
    const { value, end } = readSingleQuoted(trimmed, 0);
    afterQuoted(trimmed, end);
    return value;
  }
  return plainScalar(trimmed);
}

/** `[a, "b, c", 'd']` on one line; a nested collection inside makes it unsupported. */
function flowList(text: string): FrontMatterScalar[] | typeof UNSUPPORTED {
  const items: FrontMatterScalar[] = [];
  let i = 1;
  for (;;) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (text[i] === "]") {
      afterQuoted(text, i + 1);
      return items;
    }
    if (i >= text.length) throw new FrontMatterError("a list that does not end on its line");
    const char = text[i];
    if (char === "[" || char === "{") return UNSUPPORTED;
    let value: FrontMatterScalar | typeof UNSUPPORTED;
    if (char === '"' || char === "'") {
      const read = char === '"' ? readDoubleQuoted(text, i) : readSingleQuoted(text, i);
      value = read.value;
      i = read.end;
    } else {
      let end = i;
      while (end < text.length && text[end] !== "," && text[end] !== "]") end++;
      value = plainScalar(text.slice(i, end));
      i = end;
    }
    if (value === UNSUPPORTED) return UNSUPPORTED;
    items.push(value);
    while (text[i] === " " || text[i] === "\t") i++;
    if (text[i] === ",") i++;
    else if (text[i] !== "]") throw new FrontMatterError("a list item followed by something else");
  }
}

/**
 * The values of a front matter block, by key. Throws FrontMatterError (with the line) when
 * it is not YAML this reader understands at all; shapes it merely does not take in are
 * UNSUPPORTED values.
 */
export function readFrontMatter(block: string): Map<string, ReadValue> {
  if (block.length > MAX_FRONT_MATTER_BYTES) throw new FrontMatterError("its front matter is too long");
  const lines = block.split(/\r?\n/);
  if (lines.length > MAX_FRONT_MATTER_LINES) throw new FrontMatterError("its front matter has too many lines");
  const values = new Map<string, ReadValue>();
  let i = 0;
  const fail = (message: string): never => {
    throw new FrontMatterError(`line ${i + 1}: ${message}`);
  };
  while (i < lines.length) {
    const line = lines[i] as string;
    if (/^\s*(#.*)?$/.test(line)) {
      i++;
      continue;
    }
    if (/^\s/.test(line)) fail("an indented line without a key above it");
    let key: string;
    let rest: string;
    try {
      if (line.startsWith('"') || line.startsWith("'")) {
        const read = line.startsWith('"') ? readDoubleQuoted(line, 0) : readSingleQuoted(line, 0);
        const colon = /^\s*:(?:\s|$)/.exec(line.slice(read.end));
        if (!colon) fail("a key without a colon");
        key = read.value;
        rest = line.slice(read.end + (colon?.[0].length ?? 0));
      } else {
        // The key ends at the line's first colon, which a space or the line's end must follow.
        // Found by index, not by a backtracking regex: a long line of spaces costs no more than its length.
        const colon = line.indexOf(":");
        const after = line[colon + 1];
        if (colon <= 0 || /[\s#]/.test(line[0] ?? "") || (after !== undefined && !/\s/.test(after))) {
          fail("not a “key: value” line");
        }
        key = line.slice(0, colon).trimEnd();
        rest = line.slice(colon + 1);
      }
    } catch (error) {
      if (error instanceof FrontMatterError && !error.message.startsWith("line ")) fail(error.message);
      throw error;
    }
    if (values.has(key)) fail(`“${key.slice(0, 40)}” is set twice`);
    i++;
    // The lines indented under this key (a block list, a block scalar, a nested map).
    const under: string[] = [];
    while (i < lines.length && (/^\s/.test(lines[i] as string) || /^-(\s|$)/.test(lines[i] as string))) {
      under.push(lines[i] as string);
      i++;
    }
    const value = rest.trim();
    try {
      if (/^[|>][-+]?\s*(#.*)?$/.test(value)) values.set(key, blockScalar(value, under));
      else if (value === "" || value.startsWith("#")) values.set(key, blockList(under));
      else if (under.some((text) => text.trim() !== "")) values.set(key, UNSUPPORTED);
      else if (value.startsWith("[")) values.set(key, flowList(value));
      else values.set(key, inlineScalar(value));
    } catch (error) {
      if (error instanceof FrontMatterError)
        throw new FrontMatterError(`the value of “${key.slice(0, 40)}”: ${error.message}`);
      throw error;
    }
  }
  return values;
}

/** `- a` lines (null when there are none); anything else under the key is outside the subset. */
function blockList(under: string[]): ReadValue {
  const lines = under.filter((line) => line.trim() !== "" && !/^\s*#/.test(line));
  if (lines.length === 0) return null;
  const items: FrontMatterScalar[] = [];
  for (const line of lines) {
    const match = /^\s*-(?:\s+(.*)|\s*)$/.exec(line);
    if (!match) return UNSUPPORTED;
    const item = match[1] ?? "";
    if (item.trim().startsWith("[") || /^[^"'\s][^:]*:(\s|$)/.test(item.trim())) return UNSUPPORTED;
    const value = inlineScalar(item);
    if (value === UNSUPPORTED) return UNSUPPORTED;
    items.push(value);
  }
  return items;
}

/** `|` keeps the lines, `>` folds them into one; `-` strips the final newline, `+` keeps all. */
function blockScalar(indicator: string, under: string[]): string {
  const indent = Math.min(
    ...under.filter((line) => line.trim() !== "").map((line) => (/^\s*/.exec(line)?.[0].length ?? 0) as number),
  );
  const lines = under.map((line) => (line.trim() === "" ? "" : line.slice(Number.isFinite(indent) ? indent : 0)));
  while (lines.length && lines.at(-1) === "" && !indicator.includes("+")) lines.pop();
  const text = indicator.startsWith("|") ? lines.join("\n") : lines.join("\n").replace(/([^\n])\n(?=[^\n])/g, "$1 ");
  if (indicator.includes("-") || text === "") return text;
  return `${text}\n`;
}

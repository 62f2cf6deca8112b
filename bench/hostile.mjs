#!/usr/bin/env node
// Benchmark: hostile and unlucky files (issue 11, "8. Prove it" → "Hostile inputs"). Starts the built
// app on a fresh state, signs up a victim and 3 bystanders (a small file each), then uploads each
// hostile input as the victim through the real API and waits for its outcome, while the bystanders
// keep browsing the library and searching. Per input it reports the outcome (upload status, the job's
// final status and message), the seconds to it, the peak rise of workerd's resident memory (beside,
// for big stored files, what the local R2 simulator alone takes to store the same bytes), the
// slowest bystander request, and pass/fail against the issue's bars. See bench/README.md.
//
//   node bench/hostile.mjs [--json] [--only <text>] [--list]
//
// Dependency-free: Node 20 built-ins plus `miniflare` (already installed with wrangler), for the
// local R2 baseline; the shared helpers are in bench/lib.mjs. The files are
// built here, deterministically (the PDF code follows tests/pdf-fixtures.ts).
import { spawnSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createDeflate, deflateSync } from "node:zlib";
import {
  Client,
  cpuSecondsOf,
  findWorkerd,
  log,
  memoryOf,
  PreviewServer,
  ROOT,
  repeatedSentence,
  round,
  run,
} from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 50 * 60_000;
/** How long to wait for one input's outcome before giving up on it (and deleting the file). */
const OUTCOME_TIMEOUT_MS = 90_000;
const POLL_MS = 250;
const RSS_SAMPLE_MS = 100;
const BYSTANDERS = 3;
/** Pause after each bystander request (the library page and a search, in turn). */
const BYSTANDER_PAUSE_MS = 200;
const REQUEST_TIMEOUT_MS = 120_000;
/** The issue's bars. */
const BARS = { seconds: 60, rssMB: 64, bystanderMs: 1_000 };
const MiB = 1024 * 1024;
const TERMINAL = new Set(["ready", "failed", "stored", "cancelled"]);

const { values: options } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    only: { type: "string" },
    list: { type: "boolean", default: false },
  },
});

// ---------------------------------------------------------------------------------------
// Deterministic bytes

/** mulberry32: a small seeded generator, so every run uploads the same bytes. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBuffer(length, seed) {
  const next = prng(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

const ascii = (/** @type {string} */ text) => Buffer.from(text, "latin1");
const utf8 = (/** @type {string} */ text) => Buffer.from(text, "utf8");

// ---------------------------------------------------------------------------------------
// PDFs: just enough of the format for pdf.js to read (or refuse) them (as tests/pdf-fixtures.ts)

const escapePdf = (/** @type {string} */ text) => text.replace(/[\\()]/g, (c) => `\\${c}`);
const FILE_ID = Buffer.alloc(16, 0xab);
const hex = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes).toString("hex");

/** A book of `count` pages; page n says which page it is and carries a findable word. */
function bookPages(count) {
  return Array.from({ length: count }, (_, i) => [
    `Chapter ${Math.floor(i / 10) + 1}, page ${i + 1}.`,
    `The warden of page${i + 1} guards the ${i % 2 ? "eastern" : "western"} gate of the sunken keep.`,
    "Every night the bell tolls thrice, and the drowned knights rise to walk the causeway until dawn.",
  ]);
}

/**
 * The objects of a PDF. `pages`: each page's lines of text; null draws a filled rectangle and no
 * text; "image" draws a grey-scale picture (a scanned page without a text layer). `streams`: extra
 * pages whose content stream is the given (already FlateDecode-compressed) data.
 * @param {{ pages: (string[] | null | "image")[], compress?: boolean, streams?: Buffer[] }} spec
 */
function assemble({ pages, compress = false, streams = [] }) {
  /** @type {(string | { dict: string, data: Buffer })[]} */
  const objects = [];
  const add = (/** @type {string | { dict: string, data: Buffer }} */ body) => objects.push(body);
  const catalog = add("");
  const pageTree = add("");
  const font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  /** @type {number} */
  let image = 0;
  /** @type {number[]} */
  const kids = [];
  const addPage = (/** @type {number} */ contents, resources = `/Font << /F1 ${font} 0 R >>`) =>
    kids.push(
      add(
        `<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 595 842] /Resources << ${resources} >> /Contents ${contents} 0 R >>`,
      ),
    );
  const stream = (/** @type {string} */ content) =>
    compress ? { dict: "/Filter /FlateDecode", data: deflateSync(ascii(content)) } : { dict: "", data: ascii(content) };
  for (const lines of pages) {
    if (lines === "image") {
      if (!image) {
        // 300×420 grey pixels of "printed lines": what a scanner hands over, with no text in it.
        const width = 300;
        const height = 420;
        const pixels = Buffer.alloc(width * height, 0xf0);
        const next = prng(7);
        for (let y = 40; y < height - 40; y += 12) {
          for (let x = 30; x < width - 30; x++) if (next() < 0.6) pixels[y * width + x] = 0x30;
        }
        image = add({
          dict: `/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
          data: deflateSync(pixels),
        });
      }
      addPage(add(stream("q 480 0 0 700 56 56 cm /Im1 Do Q")), `/XObject << /Im1 ${image} 0 R >>`);
    } else if (lines) {
      addPage(
        add(stream(`BT /F1 11 Tf 14 TL 56 780 Td ${lines.map((line) => `(${escapePdf(line)}) Tj T*`).join(" ")} ET`)),
      );
    } else addPage(add(stream("0.5 g 56 56 480 700 re f")));
  }
  for (const data of streams) addPage(add({ dict: "/Filter /FlateDecode", data }));
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pageTree} 0 R >>`;
  objects[pageTree - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  return { objects, catalog };
}

/** The file: objects, cross-reference table and trailer (`encrypt`: the security handler's object, or 0). */
function serialize(
  /** @type {(string | { dict: string, data: Buffer })[]} */ objects,
  /** @type {number} */ catalog,
  encrypt = 0,
) {
  /** @type {Buffer[]} */
  const parts = [];
  let size = 0;
  const write = (/** @type {Buffer | string} */ part) => {
    const bytes = typeof part === "string" ? ascii(part) : part;
    parts.push(bytes);
    size += bytes.length;
  };
  write("%PDF-1.4\n");
  /** @type {number[]} */
  const offsets = [];
  for (const [i, body] of objects.entries()) {
    offsets.push(size);
    if (typeof body === "string") write(`${i + 1} 0 obj\n${body}\nendobj\n`);
    else {
      write(`${i + 1} 0 obj\n<< ${body.dict} /Length ${body.data.length} >>\nstream\n`);
      write(body.data);
      write("\nendstream\nendobj\n");
    }
  }
  const xref = size;
  write(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`);
  for (const offset of offsets) write(`${String(offset).padStart(10, "0")} 00000 n \n`);
  write(
    `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${
      encrypt ? ` /Encrypt ${encrypt} 0 R /ID [<${hex(FILE_ID)}> <${hex(FILE_ID)}>]` : ""
    } >>\nstartxref\n${xref}\n%%EOF\n`,
  );
  return Buffer.concat(parts);
}

/** @param {Parameters<typeof assemble>[0]} spec */
const buildPdf = (spec) => {
  const { objects, catalog } = assemble(spec);
  return serialize(objects, catalog);
};

/** A Standard security handler whose passwords no one knows: opening it needs the user password. */
function buildUserPasswordPdf(/** @type {Parameters<typeof assemble>[0]} */ spec) {
  const { objects, catalog } = assemble(spec);
  const encrypt = objects.push(
    `<< /Filter /Standard /V 1 /R 2 /O <${"ab".repeat(32)}> /U <${"ab".repeat(32)}> /P -4 >>`,
  );
  return serialize(objects, catalog, encrypt);
}

const PASSWORD_PAD = Buffer.from("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a", "hex");
const md5 = (/** @type {Uint8Array[]} */ ...parts) => {
  const hash = createHash("md5");
  for (const part of parts) hash.update(part);
  return hash.digest();
};

function rc4(/** @type {Uint8Array} */ key, /** @type {Uint8Array} */ data) {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 0xff;
    [s[i], s[j]] = [s[j], s[i]];
  }
  const out = Buffer.alloc(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]) & 0xff;
    [s[i], s[j]] = [s[j], s[i]];
    out[k] = data[k] ^ s[(s[i] + s[j]) & 0xff];
  }
  return out;
}

/**
 * AES-128 (revision 4) with an empty user password and an owner password: anyone may open it,
 * editing is restricted. Every stream is encrypted with its object's key (ISO 32000-1, 7.6.2).
 */
function buildOwnerPasswordPdf(/** @type {Parameters<typeof assemble>[0]} */ spec) {
  const { objects, catalog } = assemble(spec);
  const permissions = Buffer.from(new Int32Array([-4]).buffer);
  const o = Buffer.alloc(32, 7);
  let key = md5(PASSWORD_PAD, o, permissions, FILE_ID);
  for (let i = 0; i < 50; i++) key = md5(key);
  let u = rc4(key, md5(PASSWORD_PAD, FILE_ID));
  for (let i = 1; i <= 19; i++)
    u = rc4(
      key.map((b) => b ^ i),
      u,
    );
  const encrypted = objects.map((body, index) => {
    if (typeof body === "string") return body;
    const n = index + 1;
    const objectKey = md5(key, Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, 0, 0]), ascii("sAlT"));
    const iv = Buffer.alloc(16, 8);
    const cipher = createCipheriv("aes-128-cbc", objectKey, iv);
    return { ...body, data: Buffer.concat([iv, cipher.update(body.data), cipher.final()]) };
  });
  const encrypt = encrypted.push(
    `<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <${hex(o)}> /U <${hex(Buffer.concat([u, Buffer.alloc(16)]))}> /P -4 >>`,
  );
  return serialize(encrypted, catalog, encrypt);
}

/** zlib data of `bytes` zero bytes (PDF whitespace), compressed 1 MiB at a time: about 1 MB for 1 GiB. */
async function zerosDeflated(/** @type {number} */ bytes) {
  const deflate = createDeflate({ level: 9, memLevel: 9 });
  /** @type {Buffer[]} */
  const out = [];
  deflate.on("data", (chunk) => out.push(chunk));
  const done = new Promise((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  const chunk = Buffer.alloc(MiB);
  for (let left = bytes; left > 0; left -= chunk.length) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    if (!deflate.write(piece)) await new Promise((resolve) => deflate.once("drain", resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

/** A text PDF with runs of its bytes overwritten: objects, streams and cross-references alike. */
function damagedPdf() {
  const pdf = buildPdf({ pages: bookPages(30), compress: true });
  const next = prng(42);
  for (let at = 200; at < pdf.length - 64; at += 700) {
    for (let i = 0; i < 48; i++) pdf[at + i] = Math.floor(next() * 256);
  }
  return pdf;
}

// ---------------------------------------------------------------------------------------
// Other files

function utf16WithBom(/** @type {string} */ text, littleEndian = true) {
  const units = [0xfeff, ...[...text].map((c) => c.charCodeAt(0))];
  const bytes = Buffer.alloc(units.length * 2);
  for (const [i, unit] of units.entries()) {
    if (littleEndian) bytes.writeUInt16LE(unit, i * 2);
    else bytes.writeUInt16BE(unit, i * 2);
  }
  return bytes;
}

/** A minimal 64-bit ELF header followed by machine-code-looking bytes. */
function elfExecutable() {
  const header = Buffer.alloc(64);
  ascii("\x7fELF").copy(header);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(0x3e, 18); // x86-64
  header.writeUInt32LE(1, 20);
  return Buffer.concat([header, randomBuffer(40_000, 11)]);
}

/** A DOS/PE stub: "MZ", the DOS message, "PE\0\0" at 0x80. */
function mzExecutable() {
  const stub = Buffer.alloc(0x100);
  ascii("MZ").copy(stub);
  stub.writeUInt32LE(0x80, 0x3c);
  ascii("This program cannot be run in DOS mode.\r\r\n$").copy(stub, 0x4e);
  ascii("PE\0\0").copy(stub, 0x80);
  stub.writeUInt16LE(0x8664, 0x84);
  return Buffer.concat([stub, randomBuffer(40_000, 12)]);
}

const XSS_MARKDOWN = `# The lantern keep (hostile notes)

<script>alert('xss-script')</script>

<img src=x onerror="alert('xss-onerror')">

<a href="javascript:alert('xss-anchor')">a raw link</a>

[a Markdown link](javascript:alert('xss-md-link')) and [another](JAVASCRIPT:alert(2))

<div onmouseover="alert('xss-hover')">hover here</div>

<svg onload=alert('xss-svg')></svg>

<iframe src="javascript:alert('xss-frame')"></iframe>

The warden of the lantern keep counts the drowned knights every night.
`;

/** A small Markdown file, unique per name (the app refuses identical bytes). */
const note = (/** @type {string} */ what) =>
  utf8(`# Notes (${what})\n\nThe ferryman of the lantern keep charges two silver for the crossing.\n`);

// ---------------------------------------------------------------------------------------
// The inputs

/**
 * @typedef {{ status: number, body: any, text: string }} Upload
 * @typedef {{ upload: Upload, job: any, passages: any[] | null }} Outcome
 * @typedef {{ id: string, label: string, name: string, build: () => Buffer | Promise<Buffer>,
 *   expect: string, check: (o: Outcome) => string | null, read?: boolean }} Input
 */

const refused = (/** @type {RegExp} */ reason) => (/** @type {Outcome} */ o) =>
  o.upload.status >= 400 && o.upload.status < 500 && reason.test(o.upload.body?.error ?? "")
    ? null
    : `expected a refusal (4xx) matching ${reason}`;
const failed = (/** @type {RegExp} */ reason) => (/** @type {Outcome} */ o) =>
  o.job?.status === "failed" && reason.test(o.job.error ?? "") ? null : `expected "failed" matching ${reason}`;
const ready = (/** @type {RegExp} */ text) => (/** @type {Outcome} */ o) => {
  if (o.job?.status !== "ready") return 'expected "ready"';
  if (!o.passages?.some((p) => text.test(p.body ?? ""))) return `ready, but no passage matches ${text}`;
  return null;
};
/** Refused at upload or failed with a reason: either is a clear answer. */
const refusedOrFailed = (/** @type {RegExp} */ reason) => (/** @type {Outcome} */ o) =>
  refused(reason)(o) === null || failed(reason)(o) === null
    ? null
    : `expected a refusal or "failed" matching ${reason}`;

/** @type {Input[]} */
const INPUTS = [
  {
    id: "pdf-damaged",
    label: "damaged PDF (48-byte runs overwritten every 700 bytes)",
    name: "damaged.pdf",
    build: damagedPdf,
    expect: "failed with a reason, or ready with what could be read",
    check: (o) =>
      (o.job?.status === "failed" && /damaged|cut short|could not/i.test(o.job.error ?? "")) ||
      o.job?.status === "ready"
        ? null
        : "expected failed (damaged) or ready",
  },
  {
    id: "pdf-truncated",
    label: "truncated PDF (30 pages cut at 4,000 bytes)",
    name: "truncated.pdf",
    build: () => buildPdf({ pages: bookPages(30), compress: true }).subarray(0, 4_000),
    expect: "failed: damaged or cut short",
    check: failed(/damaged|cut short/i),
  },
  {
    id: "empty",
    label: "empty file (0 bytes) named .pdf",
    name: "empty.pdf",
    build: () => Buffer.alloc(0),
    expect: "refused: empty",
    check: refusedOrFailed(/empty/i),
  },
  {
    id: "random-pdf",
    label: "random bytes named .pdf (60 KB)",
    name: "random.pdf",
    build: () => randomBuffer(60_000, 1),
    expect: "refused: not a PDF",
    check: refusedOrFailed(/not|damaged/i),
  },
  {
    id: "random-after-header",
    label: "%PDF- header then random bytes (60 KB)",
    name: "random-header.pdf",
    build: () => Buffer.concat([ascii("%PDF-1.7\n"), randomBuffer(60_000, 2)]),
    expect: "failed: damaged or not really a PDF",
    check: failed(/damaged or not really a PDF/i),
  },
  {
    id: "pdf-user-password",
    label: "PDF encrypted with a user password",
    name: "locked.pdf",
    build: () => buildUserPasswordPdf({ pages: bookPages(2) }),
    expect: "failed: password-protected, upload an unlocked copy",
    check: failed(/password-protected/i),
  },
  {
    id: "pdf-owner-password",
    label: "PDF with only an owner password (AES-128, 3 pages)",
    name: "owner-locked.pdf",
    build: () => buildOwnerPasswordPdf({ pages: bookPages(3), compress: true }),
    expect: "ready (anyone may open it)",
    check: ready(/warden of page2 /),
  },
  {
    id: "pdf-bomb",
    label: "PDF whose content stream inflates to 1 GiB (zlib of zeros)",
    name: "bomb.pdf",
    build: async () => buildPdf({ pages: bookPages(1), streams: [await zerosDeflated(1024 * MiB)] }),
    expect: "failed: would take too much memory to read",
    check: failed(/memory/i),
  },
  {
    id: "pdf-20000-pages",
    label: "PDF with 20,000 empty pages",
    name: "empty-pages.pdf",
    build: () => buildPdf({ pages: Array.from({ length: 20_000 }, () => null) }),
    expect: "failed: too many pages, before reading them",
    check: failed(/20,000 pages/),
  },
  {
    id: "pdf-scanned",
    label: "scanned page: an image, no text layer",
    name: "scan.pdf",
    build: () => buildPdf({ pages: ["image"], compress: true }),
    expect: "failed: no text layer (OCR it)",
    check: failed(/no text layer/i),
  },
  {
    id: "elf-as-md",
    label: "ELF executable renamed .md",
    name: "readme-elf.md",
    build: elfExecutable,
    expect: "refused: not really Markdown",
    check: refused(/Markdown/i),
  },
  {
    id: "mz-as-md",
    label: "MZ/PE executable renamed .md",
    name: "readme-mz.md",
    build: mzExecutable,
    expect: "refused: not really Markdown",
    check: refused(/Markdown/i),
  },
  {
    id: "md-xss",
    label: "Markdown with <script>, on* handlers, javascript: links",
    name: "hostile-notes.md",
    build: () => utf8(XSS_MARKDOWN),
    expect: "ready; its read page has no script, handler or javascript: link",
    check: ready(/drowned knights/),
    read: true,
  },
  {
    id: "json-deep",
    label: "JSON nested 100,000 levels deep",
    name: "deep.json",
    build: () => ascii(`${"[".repeat(100_000)}1${"]".repeat(100_000)}`),
    expect: "failed: nested too deep (not 'invalid')",
    check: failed(/nested more than/i),
  },
  {
    id: "json-invalid",
    label: "invalid JSON",
    name: "broken.json",
    build: () => utf8('{"name": "Vessa", "class": "warden",, "level": '),
    expect: "failed: not valid JSON",
    check: failed(/not valid JSON/i),
  },
  {
    id: "utf16",
    label: "UTF-16 LE text with BOM (.md)",
    name: "utf16-notes.md",
    build: () => utf16WithBom("# Café Ünder\r\n\r\nThe naïve bard sings of the ☃ snowman by the lantern keep.\r\n"),
    expect: "ready, text decoded",
    check: ready(/naïve bard sings of the ☃ snowman/),
  },
  {
    id: "text-20mb-one-line",
    label: "20 MB text without a newline",
    name: "one-line.txt",
    build: () => repeatedSentence(20 * MiB, " "),
    expect: "ready",
    check: ready(/drowned knights/),
  },
  {
    // The control for the input above: the same bytes with a newline every sentence.
    id: "text-20mb-lines",
    label: "20 MB text in short lines (control)",
    name: "many-lines.txt",
    build: () => repeatedSentence(20 * MiB, "\n"),
    expect: "ready",
    check: ready(/drowned knights/),
  },
  {
    id: "name-traversal",
    label: 'name "../../etc/passwd.md"',
    name: "../../etc/passwd.md",
    build: () => note("traversal"),
    expect: "refused: / in the name",
    check: refused(/cannot contain/i),
  },
  {
    id: "name-dots",
    label: 'name "notes..v2..md" (".." inside a name)',
    name: "notes..v2..md",
    build: () => note("dots"),
    expect: "ready, stored under that name",
    check: (o) => (o.upload.body?.fileName === "notes..v2..md" ? ready(/ferryman/)(o) : "stored under another name"),
  },
  {
    id: "name-control",
    label: "name with control characters (BEL, CR, LF)",
    name: "notes\u0007\r\nevil.md",
    build: () => note("control"),
    expect: "refused: control characters",
    check: refused(/control/i),
  },
  {
    id: "name-rtl",
    label: "name with a right-to-left override (notes\\u202Etxt.exe.md)",
    name: "notes\u202Etxt.exe.md",
    build: () => note("rtl"),
    expect: "refused: formatting characters",
    check: refused(/right-to-left|formatting/i),
  },
  {
    id: "name-300",
    label: "name of 300 characters",
    name: `${"a".repeat(297)}.md`,
    build: () => note("long name"),
    expect: "refused: name too long",
    check: refused(/characters/i),
  },
];

// ---------------------------------------------------------------------------------------
// The run

const server = new PreviewServer();
/** Bystander requests: { user, path, start, end, ms, status, error }. */
const bystanderLog = [];
let stopping = false;

/** One timed GET of a bystander (never throws). @param {Client} client @param {string} path */
async function bystanderGet(client, path, user) {
  const start = performance.now();
  const entry = { user, path, start, end: Number.NaN, ms: Number.NaN, status: 0, error: "" };
  bystanderLog.push(entry);
  try {
    const res = await fetch(client.base + path, {
      headers: client.headers(),
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    entry.status = res.status;
    if (res.status !== 200) entry.error = `HTTP ${res.status}`;
  } catch (error) {
    entry.error = error instanceof Error ? error.message : String(error);
  }
  entry.end = performance.now();
  entry.ms = entry.end - entry.start;
}

async function bystanderLoop(/** @type {Client} */ client, /** @type {number} */ user) {
  const queries = ["lantern ferryman", "crossing silver", "ferryman"];
  for (let i = 0; !stopping; i++) {
    const path = i % 2 === 0 ? "/library" : `/api/search?q=${encodeURIComponent(queries[(i >> 1) % queries.length])}`;
    await bystanderGet(client, path, user);
    await sleep(BYSTANDER_PAUSE_MS);
  }
}

/**
 * GET JSON, asked again (up to 3 times) when the connection fails: on a busy machine a reused
 * keep-alive connection is now and then closed under the request. An HTTP error is not retried.
 * @param {Client} client @param {string} path
 */
async function getJson(client, path) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.getJson(path);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof TypeError)) throw error;
      log(`GET ${path}: ${error.message} (${error.cause ?? "no cause"}); asking again`);
      await sleep(200);
    }
  }
}

/** The job of `fileKey` in the victim's /api/jobs, or undefined. */
async function jobOf(/** @type {Client} */ client, /** @type {string} */ fileKey) {
  const { jobs } = await getJson(client, "/api/jobs");
  return jobs.find((/** @type {any} */ job) => job.fileKey === fileKey);
}

async function waitReady(/** @type {Client} */ client, /** @type {string} */ fileKey) {
  const deadline = Date.now() + OUTCOME_TIMEOUT_MS;
  for (;;) {
    const job = await jobOf(client, fileKey);
    if (job && TERMINAL.has(job.status)) {
      if (job.status !== "ready") throw new Error(`a bystander's file ended ${job.status}: ${job.error}`);
      return;
    }
    if (Date.now() > deadline) throw new Error("a bystander's file was not ready within 90 s");
    await sleep(POLL_MS);
  }
}

/**
 * The read page of a file must show the hostile Markdown as text: no injected script element,
 * no on* handler and no javascript: URL in the markup (the app's own scripts are left out of the
 * attribute scan; the serialized loader data inside them is JavaScript string content).
 */
async function readPageProblems(/** @type {Client} */ client, /** @type {string} */ fileKey) {
  const { text } = await client.timedGet(`/library/${fileKey}/read`);
  const problems = [];
  if (/<script>alert\(/i.test(text)) problems.push("a <script> from the file");
  const markup = text.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");
  if (/<[^>]+\son[a-z]+\s*=/i.test(markup)) problems.push("an on* handler");
  if (/<[^>]+\s(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:/i.test(markup))
    problems.push("a javascript: URL");
  if (!/drowned knights/.test(markup)) problems.push("the file's text is not shown");
  return problems;
}

/**
 * Uploads one input as the victim and follows it to its outcome, measuring memory and bystanders.
 * @param {Client} victim @param {Input} input @param {Buffer} bytes @param {number} workerd
 */
async function runInput(victim, input, bytes, workerd) {
  const start = memoryOf(workerd);
  const before = start.rssKiB;
  const cpuBefore = cpuSecondsOf(workerd);
  let peak = before;
  let peakAnon = start.anonKiB;
  let peakFile = start.fileKiB;
  // The upload's own window and what comes after it, apart (the local R2 baseline is the upload's).
  let uploading = true;
  let peakUpload = before;
  let atUploadEnd = before;
  let peakAfterUpload = before;
  const sampler = setInterval(() => {
    try {
      const now = memoryOf(workerd);
      peak = Math.max(peak, now.rssKiB);
      if (uploading) peakUpload = Math.max(peakUpload, now.rssKiB);
      else peakAfterUpload = Math.max(peakAfterUpload, now.rssKiB);
      peakAnon = Math.max(peakAnon, now.anonKiB);
      peakFile = Math.max(peakFile, now.fileKiB);
    } catch {
      // workerd gone: reported by the requests failing
    }
  }, RSS_SAMPLE_MS);
  const jobsBefore = (await getJson(victim, "/api/jobs")).jobs.length;
  const t0 = performance.now();
  /** @type {Upload} */
  let upload;
  try {
    upload = await victim.putFile(input.name, bytes);
  } catch (error) {
    upload = { status: 0, body: {}, text: error instanceof Error ? error.message : String(error) };
  }
  const uploadSeconds = (performance.now() - t0) / 1000;
  atUploadEnd = memoryOf(workerd).rssKiB;
  peakUpload = Math.max(peakUpload, atUploadEnd);
  peakAfterUpload = atUploadEnd;
  uploading = false;
  /** @type {any} */
  let job = null;
  let timedOut = false;
  const fileKey = upload.body?.fileKey;
  if (upload.status >= 200 && upload.status < 300 && fileKey) {
    const deadline = t0 + OUTCOME_TIMEOUT_MS;
    for (;;) {
      job = (await jobOf(victim, fileKey).catch(() => null)) ?? job;
      if (job && TERMINAL.has(job.status)) break;
      if (performance.now() > deadline) {
        timedOut = true;
        break;
      }
      await sleep(POLL_MS);
    }
  }
  const tEnd = performance.now();
  const seconds = (tEnd - t0) / 1000;
  // Requests of the bystanders still in flight when the outcome came belong to this input too.
  const waitUntil = performance.now() + REQUEST_TIMEOUT_MS;
  while (bystanderLog.some((r) => r.start <= tEnd && Number.isNaN(r.end)) && performance.now() < waitUntil)
    await sleep(50);
  clearInterval(sampler);
  const atEnd = memoryOf(workerd).rssKiB;
  peak = Math.max(peak, atEnd);
  peakAfterUpload = Math.max(peakAfterUpload, atEnd);
  const cpuSeconds = cpuSecondsOf(workerd) - cpuBefore;
  const during = bystanderLog.filter((r) => r.start <= tEnd && r.end >= t0);
  const slowest = during.reduce((worst, r) => (r.ms > (worst?.ms ?? -1) ? r : worst), null);
  const errors = during.filter((r) => r.error);

  // Nothing half-written: a failed (or timed-out) file has no passages; a refused upload left no job.
  /** @type {any[] | null} */
  let passages = null;
  /** @type {string[]} */
  const halfWritten = [];
  if (fileKey) {
    const chunks = await getJson(victim, `/api/files/${fileKey}/chunks`).catch((error) => ({ error }));
    if (chunks.error) halfWritten.push(`chunks not readable: ${chunks.error.message.split("\n")[0]}`);
    else {
      passages = chunks.passages;
      if (job?.status !== "ready" && passages.length)
        halfWritten.push(`${passages.length} passages of a ${job?.status} file`);
    }
  } else {
    const jobsAfter = (await getJson(victim, "/api/jobs")).jobs;
    if (jobsAfter.length !== jobsBefore)
      halfWritten.push(`${jobsAfter.length - jobsBefore} new job(s) after a refusal`);
    if (jobsAfter.some((/** @type {any} */ j) => j.fileName === input.name))
      halfWritten.push("a job of the refused file");
  }

  // Where the job's time went (steps, ms per stage: the queue's own accounting, ADR 0022).
  /** @type {any} */
  let timings = null;
  if (fileKey) {
    const { jobs } = await getJson(victim, "/api/jobs?timings=1").catch(() => ({ jobs: [] }));
    timings = jobs.find((/** @type {any} */ j) => j.fileKey === fileKey)?.timings ?? null;
  }

  /** @type {Outcome} */
  const outcome = { upload, job, passages };
  /** @type {string[]} */
  const wrong = [];
  const mismatch = input.check(outcome);
  if (mismatch) wrong.push(mismatch);
  if (input.read && fileKey && job?.status === "ready") {
    const problems = await readPageProblems(victim, fileKey).catch((error) => [`read page: ${error.message}`]);
    if (problems.length) wrong.push(`read page shows ${problems.join(", ")}`);
  }
  if (timedOut) {
    // Stop it so the next input is measured on an idle queue.
    log(`${input.id}: no outcome within ${OUTCOME_TIMEOUT_MS / 1000} s; deleting the file`);
    await victim
      .submit(`/library/${fileKey}`, { intent: "delete" }, /^\/library$/)
      .catch((error) => log(`could not delete ${fileKey}: ${error.message}`));
  }

  const refusedAtUpload = !fileKey;
  const message = refusedAtUpload
    ? (upload.body?.error ?? upload.text.slice(0, 300))
    : (job?.error ?? upload.body?.message ?? "");
  const rssRiseMB = (peak - before) / 1024;
  const bars = {
    clear:
      !timedOut &&
      upload.status !== 0 &&
      upload.status < 500 &&
      (refusedAtUpload || job?.status === "failed" ? Boolean(message) : true),
    time: seconds <= BARS.seconds,
    memory: rssRiseMB < BARS.rssMB,
    bystanders: (slowest?.ms ?? 0) < BARS.bystanderMs && errors.length === 0,
    halfWritten: halfWritten.length === 0,
    expected: wrong.length === 0,
  };
  return {
    id: input.id,
    input: input.label,
    name: input.name,
    bytes: bytes.length,
    expect: input.expect,
    uploadStatus: upload.status,
    uploadSeconds: round(uploadSeconds, 2),
    status: refusedAtUpload ? "refused" : timedOut ? `${job?.status ?? "no job"} (timed out)` : job?.status,
    message,
    attempts: job?.attempts ?? null,
    pagesDone: job?.pagesDone ?? null,
    pageCount: job?.pageCount ?? null,
    passages: passages?.length ?? null,
    seconds: round(seconds, 2),
    rssBeforeMB: round(before / 1024, 1),
    rssRiseMB: round(rssRiseMB, 1),
    /** The peak rise while the upload request ran, and the rise after it over the RSS it ended at. */
    uploadRiseMB: round((peakUpload - before) / 1024, 1),
    afterUploadRiseMB: round((peakAfterUpload - atUploadEnd) / 1024, 1),
    /** Set by addLocalR2Baselines for big stored uploads. */
    localR2RiseMB: null,
    appRiseMB: round(rssRiseMB, 1),
    anonRiseMB: round((peakAnon - start.anonKiB) / 1024, 1),
    fileRiseMB: round((peakFile - start.fileKiB) / 1024, 1),
    workerdCpuSeconds: round(cpuSeconds, 2),
    bystanderRequests: during.length,
    slowestBystanderMs: slowest ? Math.round(slowest.ms) : null,
    slowestBystanderPath: slowest?.path ?? null,
    bystanderErrors: errors.map((r) => `${r.path}: ${r.error}`),
    halfWritten,
    wrong,
    jobSteps: timings?.steps ?? null,
    jobMs: timings?.ms ?? null,
    load1: round(loadavg()[0], 2),
    bars,
    pass: Object.values(bars).every(Boolean),
  };
}

/** Stored uploads at least this big are compared with the local R2 alone taking the same bytes. */
const R2_BASELINE_MIN_BYTES = MiB;
const R2_BASELINE_RUNS = 3;
const R2_BASELINE_WORKER = `export default {
  async fetch(request, env) {
    const key = new URL(request.url).pathname.slice(1) || "object";
    if (request.method === "PUT") {
      await env.FILES.put(key, request.body);
      return new Response("stored");
    }
    const object = await env.FILES.get(key);
    return object ? new Response(object.body) : new Response("not found", { status: 404 });
  },
};`;

/**
 * The baseline in the same run for a stored upload: how much workerd's RSS rises while the local R2
 * (Miniflare's simulator, JavaScript in the same workerd process; on Cloudflare R2 is a remote
 * service) stores the same bytes from a bare Worker that pipes the request body into `R2.put`, as
 * the app's upload does (`put`), and then while it reads them back out as a streamed response, as
 * ingestion reads a file (`get`). A fresh workerd per run, warmed by a 4 KB put and get first, the
 * build's compatibility settings, state on disk; the smallest rises of R2_BASELINE_RUNS runs (MB).
 * @param {Buffer} bytes @returns {Promise<{ put: number, get: number }>}
 */
async function localR2RiseMB(bytes) {
  const { Miniflare } = await import("miniflare");
  const built = server.previewRoot ? join(server.previewRoot, "build/server") : join(ROOT, "build/server");
  const config = JSON.parse(readFileSync(join(built, "wrangler.json"), "utf8"));
  const puts = [];
  const gets = [];
  for (let i = 0; i < R2_BASELINE_RUNS; i++) {
    const persist = join(ROOT, ".wrangler", `bench-bare-r2-${process.pid}`);
    rmSync(persist, { recursive: true, force: true });
    mkdirSync(persist, { recursive: true });
    const mf = new Miniflare({
      modules: true,
      script: R2_BASELINE_WORKER,
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      r2Buckets: ["FILES"],
      r2Persist: persist,
      host: "127.0.0.1",
      port: 0,
    });
    try {
      const url = await mf.ready;
      const pid = findWorkerd(process.pid, 1);
      if (!pid) throw new Error("no workerd process found for the R2 baseline");
      await fetch(new URL("/warm", url), { method: "PUT", body: Buffer.alloc(4096, 32) }).then((r) => r.text());
      await fetch(new URL("/warm", url)).then((r) => r.arrayBuffer());
      await sleep(500);
      /** The peak RSS rise (MB) while `request` runs, read to its last byte. @param {() => Promise<Response>} request */
      const riseDuring = async (request) => {
        const before = memoryOf(pid).rssKiB;
        let peak = before;
        const sampler = setInterval(() => {
          peak = Math.max(peak, memoryOf(pid).rssKiB);
        }, RSS_SAMPLE_MS);
        const res = await request();
        const body = await res.arrayBuffer();
        if (!res.ok) throw new Error(`the R2 baseline answered ${res.status}: ${Buffer.from(body).toString()}`);
        await sleep(500);
        clearInterval(sampler);
        return (Math.max(peak, memoryOf(pid).rssKiB) - before) / 1024;
      };
      puts.push(await riseDuring(() => fetch(new URL("/object", url), { method: "PUT", body: bytes })));
      gets.push(await riseDuring(() => fetch(new URL("/object", url))));
    } finally {
      await mf.dispose();
      rmSync(persist, { recursive: true, force: true });
    }
  }
  return { put: round(Math.min(...puts), 1), get: round(Math.min(...gets), 1) };
}

/**
 * Adds each big stored upload's local-R2 baseline and judges the memory bar on the rise the app
 * adds to it (the simulator's own share would not exist on Cloudflare).
 * @param {any[]} results @param {Map<string, Buffer>} files
 */
async function addLocalR2Baselines(results, files) {
  /** @type {Map<number, { put: number, get: number }>} */
  const bySize = new Map();
  for (const r of results) {
    const stored = r.uploadStatus >= 200 && r.uploadStatus < 300;
    if (!stored || r.bytes < R2_BASELINE_MIN_BYTES) continue;
    if (!bySize.has(r.bytes)) {
      log(`local R2 baseline: storing and reading ${r.bytes} bytes from a bare Worker (${R2_BASELINE_RUNS} runs)`);
      bySize.set(r.bytes, await localR2RiseMB(/** @type {Buffer} */ (files.get(r.id))));
    }
    const baseline = /** @type {{ put: number, get: number }} */ (bySize.get(r.bytes));
    r.localR2RiseMB = baseline;
    // Each window less its own baseline: the upload less the put, what came after less one read.
    r.appRiseMB = round(
      Math.max(0, r.uploadRiseMB - baseline.put) + Math.max(0, r.afterUploadRiseMB - baseline.get),
      1,
    );
    r.bars.memory = r.appRiseMB < BARS.rssMB;
    r.pass = Object.values(r.bars).every(Boolean);
  }
}

const cell = (/** @type {unknown} */ value) =>
  String(value ?? "")
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replaceAll("|", "\\|");
const short = (/** @type {string} */ text, n = 110) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

function printTable(/** @type {any} */ report) {
  const lines = [];
  lines.push(
    `Hostile inputs: ${report.results.length}, passed ${report.results.filter((r) => r.pass).length}. ` +
      `Bars: outcome ≤ ${BARS.seconds} s, workerd RSS rise < ${BARS.rssMB} MB (for a stored file of ${R2_BASELINE_MIN_BYTES / MiB} MiB or more: \`app MB\`, the upload's rise less what the local R2 alone takes to store the same bytes, plus the rise after the upload less what it takes to read them once, both measured in this run), every bystander request < ${BARS.bystanderMs} ms ` +
      "and answered, no passages of a failed file, outcome as expected.",
  );
  lines.push(
    `Machine: ${report.machine.cores} cores; load average (1/5/15 min) at start ${report.machine.loadStart.join(" / ")}, ` +
      `at end ${report.machine.loadEnd.join(" / ")}. workerd RSS at start ${report.rssStartMB} MB, at end ${report.rssEndMB} MB.`,
  );
  lines.push("");
  lines.push(
    "| # | input | size | upload | final status | message | s | RSS rise MB | local R2 put + get MB | app MB | workerd CPU s | slowest bystander ms (n) | load 1m | result |",
  );
  lines.push("|---|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const [i, r] of report.results.entries()) {
    const failedBars = Object.entries(r.bars)
      .filter(([, ok]) => !ok)
      .map(([bar]) => bar);
    const size = r.bytes >= MiB ? `${round(r.bytes / MiB, 1)} MiB` : `${round(r.bytes / 1024, 1)} KiB`;
    lines.push(
      `| ${i + 1} | ${cell(r.input)} | ${size} | ${r.uploadStatus} | ${cell(r.status)} | ${cell(short(r.message))} | ${r.seconds} | ${r.rssRiseMB} | ${r.localR2RiseMB ? `${r.localR2RiseMB.put} + ${r.localR2RiseMB.get}` : "–"} | ${r.appRiseMB} | ${r.workerdCpuSeconds} | ${r.slowestBystanderMs ?? "–"} (${r.bystanderRequests}) | ${r.load1} | ${r.pass ? "pass" : `FAIL: ${failedBars.join(", ")}`} |`,
    );
  }
  const notes = report.results.filter((r) => !r.pass || r.halfWritten.length || r.wrong.length);
  if (notes.length) {
    lines.push("");
    for (const r of notes) {
      const details = [...r.wrong, ...r.halfWritten, ...r.bystanderErrors.slice(0, 5)];
      if (!r.bars.time) details.push(`${r.seconds} s to the outcome`);
      if (!r.bars.memory)
        details.push(
          `RSS rose ${r.rssRiseMB} MB, ${r.appRiseMB} MB beyond the local R2's own share (peaks: anonymous +${r.anonRiseMB} MB, mapped files +${r.fileRiseMB} MB)`,
        );
      if (!r.bars.bystanders && r.slowestBystanderMs !== null)
        details.push(`slowest bystander ${r.slowestBystanderMs} ms (${r.slowestBystanderPath})`);
      if (r.jobMs)
        details.push(
          `job: ${r.jobSteps} steps, ms ${Object.entries(r.jobMs)
            .map(([stage, ms]) => `${stage} ${ms}`)
            .join(", ")}, workerd CPU ${r.workerdCpuSeconds} s`,
        );
      lines.push(`- ${r.id}: ${cell(details.join("; ") || "see the table")}`);
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function main() {
  const inputs = options.only ? INPUTS.filter((i) => i.id.includes(options.only ?? "")) : INPUTS;
  if (options.list) {
    for (const input of INPUTS) process.stdout.write(`${input.id}\t${input.label}\n`);
    return;
  }
  if (!inputs.length) throw new Error(`no input matches --only ${options.only}`);
  if (!existsSync(join(ROOT, ".dev.vars"))) {
    spawnSync(process.execPath, [join(ROOT, "scripts/ensure-dev-vars.mjs")], { cwd: ROOT, stdio: "inherit" });
  }
  if (!existsSync(join(ROOT, "build/server/index.js"))) {
    log("no build/server/index.js: running npm run build");
    const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
    if (build.status !== 0) throw new Error("npm run build failed");
  }

  log("building the hostile files");
  /** @type {Map<string, Buffer>} */
  const files = new Map();
  for (const input of inputs) {
    const started = performance.now();
    files.set(input.id, Buffer.from(await input.build()));
    log(`  ${input.id}: ${files.get(input.id)?.length} bytes (${Math.round(performance.now() - started)} ms)`);
  }

  const loadStart = loadavg().map((x) => round(x, 2));
  // From a copy of the build (no var changed): others may rebuild build/ during the run.
  const base = await server.start({ vars: {} });
  const workerd = server.workerdPid();
  if (!workerd) throw new Error("no workerd process found below the server");

  const victim = new Client(base);
  await victim.signUp();
  const bystanders = [];
  for (let i = 0; i < BYSTANDERS; i++) {
    const client = new Client(base);
    await client.signUp();
    const key = await client.uploadFile(`bystander-${i + 1}.md`, note(`bystander ${i + 1}`));
    bystanders.push({ client, key });
  }
  for (const { client, key } of bystanders) await waitReady(client, key);
  log("bystanders ready; they browse and search from now on");
  const loops = bystanders.map(({ client }, i) => bystanderLoop(client, i + 1));
  await sleep(3_000); // warm: first requests of each kind

  const rssStart = memoryOf(workerd).rssKiB;
  const results = [];
  for (const input of inputs) {
    const bytes = /** @type {Buffer} */ (files.get(input.id));
    log(`${input.id}: uploading ${bytes.length} bytes as "${cell(input.name)}"`);
    const result = await runInput(victim, input, bytes, workerd);
    log(
      `${input.id}: ${result.uploadStatus} → ${result.status} in ${result.seconds} s, RSS +${result.rssRiseMB} MB, slowest bystander ${result.slowestBystanderMs} ms, ${result.pass ? "pass" : "FAIL"} — ${short(result.message, 160)}`,
    );
    results.push(result);
    await sleep(1_000);
  }
  stopping = true;
  await Promise.all(loops);
  await addLocalR2Baselines(results, files);

  const report = {
    when: new Date().toISOString(),
    bars: BARS,
    machine: { cores: availableParallelism(), loadStart, loadEnd: loadavg().map((x) => round(x, 2)) },
    rssStartMB: round(rssStart / 1024, 1),
    rssEndMB: round(memoryOf(workerd).rssKiB / 1024, 1),
    bystanderRequests: bystanderLog.length,
    results,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printTable(report);
}

async function mainWithContext() {
  try {
    await main();
  } catch (error) {
    if (error instanceof Error) log(`${error.stack}${error.cause ? `\ncause: ${error.cause}` : ""}`);
    if (server.output) log(`the server's last output:\n${server.output.slice(-3_000)}`);
    throw error;
  }
}

await run(mainWithContext, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: () => server.stop(),
  stopSync: () => server.stopSync(),
});

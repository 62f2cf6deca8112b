import { zlibSync } from "fflate";
import { type PdfObject, type PdfTextLine, serializePdf, textPageContent } from "~/server/files/pdf-writer.server";

/**
 * Minimal PDFs built by the tests themselves: text pages, pages with only drawings (as
 * a scanned book looks to a text extractor), no pages at all, a password-protected file,
 * one locked only against editing (an owner password: anyone may open it), compressed
 * pages, and pages whose compressed content inflates far beyond its size (a "deflate
 * bomb"). Just enough of the PDF format for pdf.js to read (or refuse) them.
 */

const ascii = (text: string) => new TextEncoder().encode(text);

interface PdfOptions {
  /** Each page's lines of text (headings in larger type); null draws a filled rectangle and no text. */
  pages: (PdfTextLine[] | null)[];
  /** Adds a Standard security handler whose passwords no one knows. */
  encrypted?: boolean;
  /** Bytes of an unreferenced object before the pages (a large file whose text is small). */
  padding?: number;
  /** Page contents compressed with FlateDecode, as most producers write them. */
  compress?: boolean;
  /**
   * Appends a page per entry whose content stream is FlateDecode data inflating to that
   * many bytes of spaces (valid, empty drawing instructions); `image` labels it an image.
   */
  bombs?: { inflatedBytes: number; image?: boolean }[];
}

interface Security {
  dictionary: string;
  encrypt(n: number, data: Uint8Array): Promise<Uint8Array>;
}

const FILE_ID = new Uint8Array(16).fill(0xab);

export function buildPdf(options: PdfOptions): Uint8Array {
  const { objects, catalog } = assemble(options);
  const encrypt = options.encrypted
    ? objects.push(`<< /Filter /Standard /V 1 /R 2 /O <${"ab".repeat(32)}> /U <${"ab".repeat(32)}> /P -4 >>`)
    : 0;
  return serialize(objects, catalog, encrypt);
}

/**
 * A PDF encrypted with an owner password only: anyone may open it (editing is
 * restricted), with RC4 40-bit (revision 2), AES-128 (revision 4) or AES-256 (revision 6).
 */
export async function buildLockedPdf(
  kind: "rc4-40" | "aes-128" | "aes-256",
  options: Omit<PdfOptions, "encrypted">,
): Promise<Uint8Array> {
  const { objects, catalog } = assemble(options);
  const security = await ownerSecurity(kind, FILE_ID);
  const encrypted: PdfObject[] = [];
  for (const [i, body] of objects.entries()) {
    encrypted.push(typeof body === "string" ? body : { ...body, data: await security.encrypt(i + 1, body.data) });
  }
  // The security handler's own dictionary is never encrypted.
  return serialize(encrypted, catalog, encrypted.push(security.dictionary));
}

function assemble({ pages, padding = 0, compress = false, bombs = [] }: PdfOptions) {
  const objects: PdfObject[] = [];
  const add = (body: string | { dict: string; data: Uint8Array }) => {
    objects.push(body);
    return objects.length;
  };
  if (padding) add(`<< /Length ${padding} >>\nstream\n${"x".repeat(padding)}\nendstream`);
  const catalog = add("");
  const pageTree = add("");
  const font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  const kids: number[] = [];
  const addPage = (contents: number) =>
    kids.push(
      add(
        `<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${contents} 0 R >>`,
      ),
    );
  for (const lines of pages) {
    const content = lines ? textPageContent(lines) : "0.5 g 56 56 480 700 re f";
    addPage(
      add(
        compress
          ? { dict: "/Filter /FlateDecode", data: zlibSync(ascii(content)) }
          : { dict: "", data: ascii(content) },
      ),
    );
  }
  for (const bomb of bombs) {
    const label = bomb.image ? "/Type /XObject /Subtype /Image /Width 1 /Height 1 " : "";
    addPage(add({ dict: `${label}/Filter /FlateDecode`, data: deflateBomb(bomb.inflatedBytes) }));
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pageTree} 0 R >>`;
  objects[pageTree - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  return { objects, catalog };
}

/** The file, with the security handler's object (`encrypt`, or 0) named in its trailer. */
function serialize(objects: PdfObject[], catalog: number, encrypt: number): Uint8Array {
  return serializePdf(
    objects,
    catalog,
    encrypt ? ` /Encrypt ${encrypt} 0 R /ID [<${hex(FILE_ID)}> <${hex(FILE_ID)}>]` : "",
  );
}

/** A book of `count` pages; page n says which page it is and carries a findable word. */
export function bookPages(count: number): string[][] {
  return Array.from({ length: count }, (_, i) => [
    `Chapter ${Math.floor(i / 10) + 1}, page ${i + 1}.`,
    `The warden of page${i + 1} guards the ${i % 2 ? "eastern" : "western"} gate of the sunken keep.`,
    "Every night the bell tolls thrice, and the drowned knights rise to walk the causeway until dawn.",
  ]);
}

/**
 * zlib data that inflates to about `bytes` spaces: one Huffman block whose only codes are
 * a space, "repeat 258 bytes at distance 1" (2 bits each) and the end, so 1 GiB takes
 * about 1 MB — built directly, as compressing 1 GiB in a test would take seconds.
 */
export function deflateBomb(bytes: number): Uint8Array {
  const repeats = Math.max(0, Math.ceil((bytes - 1) / 258));
  const out: number[] = [0x78, 0x9c];
  let acc = 0;
  let n = 0;
  const put = (value: number, count: number) => {
    for (let i = 0; i < count; i++) {
      acc |= ((value >> i) & 1) << n;
      if (++n === 8) {
        out.push(acc);
        acc = 0;
        n = 0;
      }
    }
  };
  const code = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) put((value >> i) & 1, 1);
  };
  put(1, 1); // last block
  put(2, 2); // dynamic Huffman codes
  put(29, 5); // 286 literal/length codes
  put(0, 5); // 1 distance code
  put(14, 4); // 18 code-length codes
  // Code-length code lengths in their fixed order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1:
  // symbol 18 ("run of zeros") 1 bit, symbols 1 and 2 two bits.
  for (const length of [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2]) put(length, 3);
  const zeros = (count: number) => {
    code(0, 1);
    put(count - 11, 7);
  };
  // Literal/length lengths: 32 (space) → 2, 256 (end) → 2, 285 (length 258) → 1; distance 0 → 1.
  zeros(32);
  code(3, 2);
  zeros(138);
  zeros(85);
  code(3, 2);
  zeros(28);
  code(2, 2);
  code(2, 2);
  code(2, 2); // a space
  // Each repeat is two zero bits (length code 285, distance code 0): whole zero bytes.
  const zeroBits = repeats * 2;
  const firstBits = Math.min(zeroBits, (8 - n) % 8);
  put(0, firstBits);
  const wholeBytes = Math.floor((zeroBits - firstBits) / 8);
  const body = new Uint8Array(wholeBytes);
  const head = out.splice(0);
  put(0, (zeroBits - firstBits) % 8);
  code(3, 2); // end of block
  if (n) put(0, 8 - n);
  const total = 1 + repeats * 258;
  const adler = adler32Spaces(total);
  const tail = [...out, (adler >>> 24) & 0xff, (adler >>> 16) & 0xff, (adler >>> 8) & 0xff, adler & 0xff];
  const result = new Uint8Array(head.length + body.length + tail.length);
  result.set(head);
  result.set(body, head.length);
  result.set(tail, head.length + body.length);
  return result;
}

/** Adler-32 of `count` spaces, in closed form. */
function adler32Spaces(count: number): number {
  const mod = 65521n;
  const n = BigInt(count);
  const a = (1n + 32n * n) % mod;
  const b = (n + (32n * n * (n + 1n)) / 2n) % mod;
  return Number((b << 16n) | a) >>> 0;
}

const PASSWORD_PAD = new Uint8Array([
  0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08, 0x2e, 0x2e, 0x00,
  0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
]);

const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** WebCrypto digests (workerd's also does MD5). */
const digest = async (algorithm: string, ...parts: Uint8Array[]) =>
  new Uint8Array(await crypto.subtle.digest(algorithm, concat(...parts)));
const md5 = (...parts: Uint8Array[]) => digest("MD5", ...parts);

function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + (s[i] ?? 0) + (key[i % key.length] ?? 0)) & 0xff;
    [s[i], s[j]] = [s[j] ?? 0, s[i] ?? 0];
  }
  const out = new Uint8Array(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 0xff;
    j = (j + (s[i] ?? 0)) & 0xff;
    [s[i], s[j]] = [s[j] ?? 0, s[i] ?? 0];
    out[k] = (data[k] ?? 0) ^ (s[((s[i] ?? 0) + (s[j] ?? 0)) & 0xff] ?? 0);
  }
  return out;
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const bytesOf = (byte: number, length: number) => new Uint8Array(length).fill(byte);

/** AES-CBC (with PKCS#7 padding unless `padding` is false: the padding block is then dropped). */
async function aesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array, padding = true): Promise<Uint8Array> {
  const aes = await crypto.subtle.importKey("raw", concat(key), "AES-CBC", false, ["encrypt"]);
  const out = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: concat(iv) }, aes, concat(data)));
  return padding ? out : out.subarray(0, data.length);
}

/** Algorithm 2.B of ISO 32000-2 (revision 6), for a password with no user key. */
async function hash2B(password: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  let k = await digest("SHA-256", password, salt);
  let e: Uint8Array = new Uint8Array(0);
  for (let round = 0; round < 64 || (e.at(-1) ?? 0) > round - 32; round++) {
    const k1 = new Uint8Array(Array.from({ length: 64 }, () => [...password, ...k]).flat());
    e = await aesCbc(k.subarray(0, 16), k.subarray(16, 32), k1, false);
    const algorithm = ["SHA-256", "SHA-384", "SHA-512"][e.subarray(0, 16).reduce((a, b) => a + b, 0) % 3] ?? "SHA-256";
    k = await digest(algorithm, e);
  }
  return k.subarray(0, 32);
}

/**
 * The Standard security handler with an empty user password (ISO 32000-2, 7.6.4): the
 * encryption dictionary and how each object's stream is encrypted.
 */
async function ownerSecurity(kind: "rc4-40" | "aes-128" | "aes-256", fileId: Uint8Array): Promise<Security> {
  const permissions = new Uint8Array(new Int32Array([-4]).buffer);
  const objectId = (n: number) => new Uint8Array([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, 0, 0]);
  if (kind === "aes-256") {
    const fileKey = bytesOf(0x5a, 32);
    const validationSalt = bytesOf(1, 8);
    const keySalt = bytesOf(2, 8);
    const u = concat(await hash2B(new Uint8Array(0), validationSalt), validationSalt, keySalt);
    const ue = await aesCbc(await hash2B(new Uint8Array(0), keySalt), new Uint8Array(16), fileKey, false);
    return {
      dictionary: `<< /Filter /Standard /V 5 /R 6 /Length 256 /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <${hex(bytesOf(3, 48))}> /U <${hex(u)}> /OE <${hex(bytesOf(4, 32))}> /UE <${hex(ue)}> /P -4 /Perms <${hex(bytesOf(5, 16))}> >>`,
      encrypt: async (_n, data) => {
        const iv = bytesOf(6, 16);
        return concat(iv, await aesCbc(fileKey, iv, data));
      },
    };
  }
  if (kind === "aes-128") {
    const o = bytesOf(7, 32);
    let key = await md5(PASSWORD_PAD, o, permissions, fileId);
    for (let i = 0; i < 50; i++) key = await md5(key);
    let u = rc4(key, await md5(PASSWORD_PAD, fileId));
    for (let i = 1; i <= 19; i++)
      u = rc4(
        key.map((b) => b ^ i),
        u,
      );
    return {
      dictionary: `<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <${hex(o)}> /U <${hex(concat(u, bytesOf(0, 16)))}> /P -4 >>`,
      encrypt: async (n, data) => {
        const objectKey = await md5(key, objectId(n), new Uint8Array([0x73, 0x41, 0x6c, 0x54]));
        const iv = bytesOf(8, 16);
        return concat(iv, await aesCbc(objectKey, iv, data));
      },
    };
  }
  // Revision 2: RC4 with a 40-bit key.
  const owner = (await md5(concat(ascii("owner-secret"), PASSWORD_PAD).slice(0, 32))).slice(0, 5);
  const o = rc4(owner, PASSWORD_PAD);
  const key = (await md5(PASSWORD_PAD, o, permissions, fileId)).slice(0, 5);
  const u = rc4(key, PASSWORD_PAD);
  return {
    dictionary: `<< /Filter /Standard /V 1 /R 2 /O <${hex(o)}> /U <${hex(u)}> /P -4 >>`,
    encrypt: async (n, data) => rc4((await md5(key, objectId(n))).slice(0, 10), data),
  };
}

/**
 * The Standard security handler of PDF (ISO 32000-2, 7.6.4), for one case only: a file
 * anyone may open (empty user password; at most an owner password restricts editing).
 * pdf.js decrypts such files by itself, so the stream check (pdf-scan.server.ts) must
 * decrypt them too, or a compressed stream could hide behind the encryption. Files that
 * need a password are refused. WebCrypto only (workerd's digest also does MD5).
 */

/** Decrypts one stream's data, piece by piece. */
export interface StreamDecipher {
  update(bytes: Uint8Array): Promise<Uint8Array>;
}

export type Decryption =
  /** Decipher for the stream of object `num` (generation `gen`); null: not encrypted (Identity). */
  | { kind: "open"; stream: (num: number, gen: number) => Promise<StreamDecipher | null> }
  /** The empty user password does not open it: a password is needed. */
  | { kind: "locked" }
  /** A handler this check does not know: the file cannot be checked. */
  | { kind: "unknown" };

const PAD = new Uint8Array([
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

const hash = async (algorithm: "MD5" | "SHA-256" | "SHA-384" | "SHA-512", ...parts: Uint8Array[]) =>
  new Uint8Array(await crypto.subtle.digest(algorithm, concat(...parts)));

const aesKey = (raw: Uint8Array) =>
  crypto.subtle.importKey("raw", concat(raw), "AES-CBC", false, ["encrypt", "decrypt"]);

/** AES-CBC encryption without padding (WebCrypto always pads: the padding block is dropped). */
async function encryptBlocks(key: CryptoKey, iv: Uint8Array, blocks: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: concat(iv) }, key, concat(blocks)));
  return out.subarray(0, blocks.length);
}

/**
 * AES-CBC decryption of whole blocks without padding: WebCrypto insists on valid padding,
 * so a block that decrypts to a full padding block is appended.
 */
async function decryptBlocks(key: CryptoKey, iv: Uint8Array, blocks: Uint8Array): Promise<Uint8Array> {
  const last = blocks.subarray(blocks.length - 16);
  const padding = await encryptBlocks(
    key,
    new Uint8Array(16),
    last.map((byte) => byte ^ 16),
  );
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: concat(iv) }, key, concat(blocks, padding)));
}

class Rc4 implements StreamDecipher {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    const s = this.s;
    for (let i = 0; i < 256; i++) s[i] = i;
    for (let i = 0, j = 0; i < 256; i++) {
      j = (j + (s[i] ?? 0) + (key[i % key.length] ?? 0)) & 0xff;
      [s[i], s[j]] = [s[j] ?? 0, s[i] ?? 0];
    }
  }

  run(bytes: Uint8Array): Uint8Array {
    const s = this.s;
    const out = new Uint8Array(bytes.length);
    let { i, j } = this;
    for (let k = 0; k < bytes.length; k++) {
      i = (i + 1) & 0xff;
      j = (j + (s[i] ?? 0)) & 0xff;
      const t = s[i] ?? 0;
      s[i] = s[j] ?? 0;
      s[j] = t;
      out[k] = (bytes[k] ?? 0) ^ (s[(t + (s[i] ?? 0)) & 0xff] ?? 0);
    }
    this.i = i;
    this.j = j;
    return out;
  }

  async update(bytes: Uint8Array): Promise<Uint8Array> {
    return this.run(bytes);
  }
}

/** AES-CBC stream data: the first 16 bytes are the IV; padding is left in (harmless to counting). */
class AesCbc implements StreamDecipher {
  private iv: Uint8Array | null = null;
  private carry = new Uint8Array(0);
  private key: CryptoKey | null = null;

  constructor(private readonly raw: Uint8Array) {}

  async update(bytes: Uint8Array): Promise<Uint8Array> {
    let data = concat(this.carry, bytes);
    if (!this.iv) {
      if (data.length < 16) {
        this.carry = data;
        return new Uint8Array(0);
      }
      this.iv = data.slice(0, 16);
      data = data.subarray(16);
    }
    const whole = data.length - (data.length % 16);
    this.carry = data.slice(whole);
    if (!whole) return new Uint8Array(0);
    this.key ??= await aesKey(this.raw);
    const blocks = data.subarray(0, whole);
    const plain = await decryptBlocks(this.key, this.iv, blocks);
    this.iv = blocks.slice(whole - 16);
    return plain;
  }
}

/** Algorithm 2.B (revision 6): the iterated hash of a password. */
async function hash2B(password: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  let k = await hash("SHA-256", password, salt);
  let e: Uint8Array = new Uint8Array(0);
  for (let round = 0; round < 64 || (e.at(-1) ?? 0) > round - 32; round++) {
    const unit = concat(password, k);
    const k1 = new Uint8Array(unit.length * 64);
    for (let i = 0; i < 64; i++) k1.set(unit, i * unit.length);
    e = await encryptBlocks(await aesKey(k.subarray(0, 16)), k.subarray(16, 32), k1);
    const remainder = e.subarray(0, 16).reduce((sum, byte) => sum + byte, 0) % 3;
    k = await hash(remainder === 0 ? "SHA-256" : remainder === 1 ? "SHA-384" : "SHA-512", e);
  }
  return k.subarray(0, 32);
}

export interface EncryptDictionary {
  filter: string;
  v: number;
  r: number;
  length: number;
  p: number;
  o: Uint8Array;
  u: Uint8Array;
  ue: Uint8Array | null;
  encryptMetadata: boolean;
  /** The crypt filter method of streams (V4/V5): "V2", "AESV2", "AESV3", "None", or null. */
  streamMethod: string | null;
}

/** What decrypting this file's streams takes, for the empty user password. */
export async function decryptionFor(dict: EncryptDictionary, fileId: Uint8Array): Promise<Decryption> {
  if (dict.filter !== "Standard") return { kind: "unknown" };
  if (dict.r >= 5) {
    const ue = dict.ue;
    if (dict.u.length < 48 || !ue || ue.length < 32) return { kind: "unknown" };
    const empty = new Uint8Array(0);
    const hashed = (salt: Uint8Array) => (dict.r === 5 ? hash("SHA-256", salt) : hash2B(empty, salt));
    const check = await hashed(dict.u.subarray(32, 40));
    if (!check.every((byte, i) => byte === dict.u[i])) return { kind: "locked" };
    const key = await decryptBlocks(
      await aesKey(await hashed(dict.u.subarray(40, 48))),
      new Uint8Array(16),
      ue.subarray(0, 32),
    );
    if (dict.streamMethod === "None") return { kind: "open", stream: async () => null };
    return { kind: "open", stream: async () => new AesCbc(key) };
  }
  // Revisions 2–4: an RC4 or AES-128 key from MD5 (Algorithm 2).
  const n = dict.r === 2 ? 5 : dict.r === 4 ? 16 : Math.max(5, Math.min(16, Math.floor(dict.length / 8)));
  const permissions = new Uint8Array(new Int32Array([dict.p | 0]).buffer);
  const noMetadata = dict.r >= 4 && !dict.encryptMetadata ? [new Uint8Array([0xff, 0xff, 0xff, 0xff])] : [];
  let key = (await hash("MD5", PAD, dict.o.subarray(0, 32), permissions, fileId, ...noMetadata)).subarray(0, n);
  if (dict.r >= 3) for (let i = 0; i < 50; i++) key = (await hash("MD5", key)).subarray(0, n);
  // The empty user password opens the file when it reproduces /U (Algorithms 4 and 5).
  let u: Uint8Array;
  if (dict.r === 2) u = new Rc4(key).run(PAD);
  else {
    u = new Rc4(key).run(await hash("MD5", PAD, fileId));
    for (let i = 1; i <= 19; i++) u = new Rc4(key.map((byte) => byte ^ i)).run(u);
  }
  const compared = dict.r === 2 ? 32 : 16;
  if (dict.u.length < compared || !u.subarray(0, compared).every((byte, i) => byte === dict.u[i])) {
    return { kind: "locked" };
  }
  const method = dict.v >= 4 ? dict.streamMethod : "V2";
  if (method === "None") return { kind: "open", stream: async () => null };
  if (method !== "V2" && method !== "AESV2") return { kind: "unknown" };
  const aes = method === "AESV2";
  return {
    kind: "open",
    stream: async (num, gen) => {
      const salt = aes ? [new Uint8Array([0x73, 0x41, 0x6c, 0x54])] : []; // "sAlT"
      const id = new Uint8Array([num & 0xff, (num >> 8) & 0xff, (num >> 16) & 0xff, gen & 0xff, (gen >> 8) & 0xff]);
      const objectKey = (await hash("MD5", key, id, ...salt)).subarray(0, Math.min(n + 5, 16));
      return aes ? new AesCbc(objectKey) : new Rc4(objectKey);
    },
  };
}

/** A PDF string at `at` in `text` (latin1): literal "(…)" with escapes, or hex "<…>". */
export function pdfString(text: string, at: number): Uint8Array | null {
  if (text[at] === "<") {
    const end = text.indexOf(">", at);
    if (end < 0) return null;
    const hex = text.slice(at + 1, end).replace(/[^0-9a-fA-F]/g, "");
    // An odd final digit counts as followed by 0.
    const digits = hex.length % 2 ? `${hex}0` : hex;
    const bytes = new Uint8Array(digits.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(i * 2, i * 2 + 2), 16);
    return bytes;
  }
  if (text[at] !== "(") return null;
  const out: number[] = [];
  let depth = 0;
  const escapes: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12 };
  for (let i = at; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "\\") {
      const next = text[++i] ?? "";
      if (next in escapes) out.push(escapes[next] ?? 0);
      else if (next >= "0" && next <= "7") {
        let octal = next;
        while (octal.length < 3 && (text[i + 1] ?? "") >= "0" && (text[i + 1] ?? "") <= "7") octal += text[++i] ?? "";
        out.push(Number.parseInt(octal, 8) & 0xff);
      } else if (next === "\r") {
        if (text[i + 1] === "\n") i++;
      } else if (next !== "\n") out.push(next.charCodeAt(0));
      continue;
    }
    if (c === "(" && depth++ > 0) out.push(0x28);
    else if (c === ")") {
      if (--depth === 0) return new Uint8Array(out);
      out.push(0x29);
    } else if (c !== "(") out.push(c.charCodeAt(0));
  }
  return null;
}

/** The dictionary's own entries: nested dictionaries (the crypt filters) blanked out. */
function topLevel(text: string): string {
  let depth = 0;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "<" && text[i + 1] === "<") {
      depth++;
      i++;
      out += "  ";
    } else if (text[i] === ">" && text[i + 1] === ">") {
      depth--;
      i++;
      out += "  ";
    } else out += depth > 1 ? " " : (text[i] ?? "");
  }
  return out;
}

/** Reads the fields of an encryption dictionary's text (latin1). */
export function parseEncryptDictionary(dictionary: string): EncryptDictionary {
  const text = topLevel(dictionary);
  const valueAt = (key: string) => {
    const match = new RegExp(`/${key}(?![A-Za-z0-9])\\s*`).exec(text);
    return match ? match.index + match[0].length : -1;
  };
  const number = (key: string, fallback: number) => {
    const at = valueAt(key);
    const match = at < 0 ? null : /^-?\d+/.exec(text.slice(at, at + 24));
    return match ? Number(match[0]) : fallback;
  };
  const name = (key: string, within = text) => {
    const match = new RegExp(`/${key}(?![A-Za-z0-9])\\s*/([A-Za-z0-9]+)`).exec(within);
    return match?.[1] ?? null;
  };
  const string = (key: string) => {
    const at = valueAt(key);
    // Strings from the original text: blanking nested dictionaries keeps positions.
    return at < 0 ? null : pdfString(dictionary, at);
  };
  // V4/V5: the streams' crypt filter (/StmF /StdCF) and its method (/CF << /StdCF << /CFM /AESV2 >> >>).
  const stmF = name("StmF");
  let streamMethod: string | null = null;
  if (stmF === "Identity") streamMethod = "None";
  else if (stmF) {
    const filterAt = dictionary.indexOf(`/${stmF}`, dictionary.indexOf("/CF"));
    streamMethod = filterAt < 0 ? null : name("CFM", dictionary.slice(filterAt, filterAt + 300));
  }
  return {
    filter: name("Filter") ?? "",
    v: number("V", 0),
    r: number("R", 0),
    length: number("Length", 40),
    p: number("P", 0),
    o: string("O") ?? new Uint8Array(0),
    u: string("U") ?? new Uint8Array(0),
    ue: string("UE"),
    encryptMetadata: !/\/EncryptMetadata\s*false/.test(text),
    streamMethod,
  };
}

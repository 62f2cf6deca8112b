/**
 * Password hashing: PBKDF2-HMAC-SHA256 through WebCrypto with a per-user random salt.
 * 100,000 iterations is the most Cloudflare's runtime accepts in production (workerd's
 * PBKDF2 limit; local workerd does not enforce it). See docs/decisions/0003. The stored
 * form names its parameters, so a hash made at another cost is upgraded at the next
 * successful sign-in (`needsRehash`).
 */

export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;
const SCHEME = "pbkdf2-sha256";

const encoder = new TextEncoder();

/** workerd's SubtleCrypto extension; the DOM typings in this project do not know it. */
const workerdSubtle = crypto.subtle as unknown as {
  timingSafeEqual(a: ArrayBufferView | ArrayBuffer, b: ArrayBufferView | ArrayBuffer): boolean;
};

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, PBKDF2_ITERATIONS);
  return `${SCHEME}$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterationsText, saltText, hashText] = stored.split("$");
  const iterations = Number(iterationsText);
  // Never derive with a count above the cap: a planted hash must not buy CPU time.
  const validCount = Number.isInteger(iterations) && iterations >= 1 && iterations <= PBKDF2_ITERATIONS;
  if (scheme !== SCHEME || !validCount || !saltText || !hashText) return false;
  const expected = fromBase64(hashText);
  const actual = await derive(password, fromBase64(saltText), iterations);
  // Constant time: the comparison takes as long whatever the first differing byte.
  return actual.byteLength === expected.byteLength && workerdSubtle.timingSafeEqual(actual, expected);
}

/** True when the stored hash was made with other parameters than today's. */
export function needsRehash(stored: string): boolean {
  const [scheme, iterationsText] = stored.split("$");
  return scheme !== SCHEME || Number(iterationsText) !== PBKDF2_ITERATIONS;
}

/**
 * A hash of a password nobody has, checked when the username does not exist, so a
 * failed sign-in costs the same time either way (no user enumeration by timing).
 */
let decoyHash: Promise<string> | undefined;
export function getDecoyHash(): Promise<string> {
  decoyHash ??= hashPassword(crypto.randomUUID());
  return decoyHash;
}

import type { ContentEncoding } from "~/lib/file-kinds";

/**
 * Text files stored gzip-compressed in R2 (ADR 0028), and the one way every reader gets
 * the uploaded bytes back. The version row (`content_encoding`) says how a version is
 * stored; the object says it too, in its custom metadata, so a reader that has only the
 * R2 key (the ingestion queue) decodes it the same way. Everything here runs native
 * stream to native stream (CompressionStream, DecompressionStream, FixedLengthStream,
 * DigestStream) except the slicing of a byte range.
 */

/** The custom metadata key that marks an R2 object's encoding. Not `httpMetadata.contentEncoding`: R2 acts on that one. */
export const ENCODING_METADATA_KEY = "loresmith-encoding";

// workerd globals that the DOM typings used by this project do not describe.
declare const FixedLengthStream: new (length: number) => TransformStream<Uint8Array, Uint8Array>;
declare namespace crypto {
  class DigestStream extends WritableStream<Uint8Array> {
    constructor(algorithm: string);
    readonly digest: Promise<ArrayBuffer>;
  }
}

/** gzip both ways, typed for byte streams. */
const gzipper = () => new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
const gunzipper = () => new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;

const toHex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Compresses a stream of uploaded bytes into one buffer: R2 needs an object's length before it is written. */
export async function gzipAll(body: ReadableStream<Uint8Array>): Promise<ArrayBuffer> {
  return new Response(body.pipeThrough(gzipper())).arrayBuffer();
}

/** The uploaded bytes of a compressed buffer, checked to be exactly `size` long. */
function gunzipped(gzip: ArrayBuffer, size: number): ReadableStream<Uint8Array> {
  const body = new Blob([gzip]).stream() as ReadableStream<Uint8Array>;
  return body.pipeThrough(gunzipper()).pipeThrough(new FixedLengthStream(size));
}

export interface StoredObject {
  /** Identifies the uploaded bytes (never the stored ones): `md5-…`, as for any single upload (ADR 0024). */
  contentHash: string;
  contentEncoding: ContentEncoding | null;
  storedSize: number;
}

/**
 * Stores a text upload that was compressed whole: gzip when that is smaller, otherwise the
 * uploaded bytes as they were (a tiny or incompressible file). Either way its hash is the
 * MD5 of the uploaded bytes, so duplicates are found whatever the encoding — computed by
 * decompressing what will be stored, which also proves it decompresses to `size` bytes.
 */
export async function putText(
  files: R2Bucket,
  key: string,
  gzip: ArrayBuffer,
  size: number,
  contentType: string,
  hashOf: (stored: R2Object) => Promise<string>,
): Promise<StoredObject> {
  if (gzip.byteLength >= size) {
    const stored = await files.put(key, gunzipped(gzip, size), { httpMetadata: { contentType } });
    return { contentHash: await hashOf(stored), contentEncoding: null, storedSize: size };
  }
  const digest = new crypto.DigestStream("MD5");
  await gunzipped(gzip, size).pipeTo(digest);
  await files.put(key, gzip, {
    httpMetadata: { contentType },
    customMetadata: { [ENCODING_METADATA_KEY]: "gzip" },
  });
  return { contentHash: `md5-${toHex(await digest.digest)}`, contentEncoding: "gzip", storedSize: gzip.byteLength };
}

/** How an R2 object is stored, from its own metadata. */
export function encodingOf(object: R2Object): ContentEncoding | null {
  return object.customMetadata?.[ENCODING_METADATA_KEY] === "gzip" ? "gzip" : null;
}

/** The uploaded bytes of a whole stored object, decompressed if it is stored compressed. */
export function decodedBody(object: R2ObjectBody): ReadableStream<Uint8Array> {
  return encodingOf(object) === "gzip" ? object.body.pipeThrough(gunzipper()) : object.body;
}

/**
 * Bytes `offset` to `offset + length` of a stream, as a stream of exactly that length
 * (the rest of the source is cancelled once the range is sent).
 */
export function sliceOf(source: ReadableStream<Uint8Array>, offset: number, length: number) {
  let skip = offset;
  let left = length;
  const slice = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (left <= 0) return;
      let piece = chunk;
      if (skip > 0) {
        if (piece.byteLength <= skip) {
          skip -= piece.byteLength;
          return;
        }
        piece = piece.subarray(skip);
        skip = 0;
      }
      if (piece.byteLength > left) piece = piece.subarray(0, left);
      left -= piece.byteLength;
      controller.enqueue(piece);
      if (left === 0) controller.terminate();
    },
  });
  source.pipeTo(slice.writable).catch(() => {});
  return slice.readable.pipeThrough(new FixedLengthStream(length));
}

/** A stream of exactly `length` bytes, so the response carries that Content-Length. */
export function sized(source: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  return source.pipeThrough(new FixedLengthStream(length));
}

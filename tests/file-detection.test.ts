import { describe, expect, it } from "vitest";
import { detectFileType } from "~/server/files/detect.server";

/** Type sniffing of uploads (detect.server.ts): what the first bytes say, not only the name. */

function utf16(text: string, littleEndian: boolean): Uint8Array {
  const units = [0xfeff, ...[...text].map((c) => c.charCodeAt(0))];
  const bytes = new Uint8Array(units.length * 2);
  const view = new DataView(bytes.buffer);
  for (const [i, unit] of units.entries()) view.setUint16(i * 2, unit, littleEndian);
  return bytes;
}

describe("detecting text files", () => {
  it("accepts UTF-16 text with a byte-order mark, little- or big-endian", () => {
    for (const littleEndian of [true, false]) {
      expect(detectFileType("notes.md", utf16("# Café\r\n\r\nThe ☃ bard.\r\n", littleEndian))).toMatchObject({
        ok: true,
        kind: "markdown",
      });
      expect(detectFileType("notes.txt", utf16("Plain\tnotes.", littleEndian))).toMatchObject({
        ok: true,
        kind: "text",
      });
      expect(detectFileType("sheet.json", utf16('{"name": "Vessa"}', littleEndian))).toMatchObject({
        ok: true,
        kind: "json",
      });
      expect(detectFileType("sheet.json", utf16("name: Vessa", littleEndian))).toMatchObject({ ok: false });
    }
    // A sample that ends half-way through a surrogate pair is still text.
    const pair = utf16("Dragon 🐉 lair", true);
    expect(detectFileType("lair.md", pair.subarray(0, 2 + 2 * 8))).toMatchObject({ ok: true, kind: "markdown" });
  });

  it("still refuses programs and other binaries named like text", () => {
    const exe = new Uint8Array(4096);
    exe.set([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00]);
    expect(detectFileType("rules.md", exe)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/named like a Markdown file, but its contents are not/),
    });
    const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]);
    expect(detectFileType("notes.txt", elf)).toMatchObject({ ok: false });
    // Random bytes behind a UTF-16 mark: unpaired surrogates and control characters.
    const noise = crypto.getRandomValues(new Uint8Array(4096));
    noise.set([0xff, 0xfe]);
    expect(detectFileType("notes.md", noise)).toMatchObject({ ok: false });
    // UTF-32 (FF FE 00 00) is not UTF-16.
    expect(detectFileType("notes.md", new Uint8Array([0xff, 0xfe, 0, 0, 0x41, 0, 0, 0]))).toMatchObject({ ok: false });
  });
});

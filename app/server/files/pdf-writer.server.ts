/**
 * Just enough of the PDF format to write text pages that pdf.js (and any reader) opens:
 * the sample campaign's printable handout, and the tests' fixture books. One standard
 * font (Helvetica, so ASCII text), one line per string, no layout beyond that.
 */

export type PdfObject = string | { dict: string; data: Uint8Array };

export const escapePdf = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);
const ascii = (text: string) => new TextEncoder().encode(text);

/** An A4 page's drawing instructions for `lines` of 11 pt Helvetica, from the top-left margin down. */
export function textPageContent(lines: string[]): string {
  return `BT /F1 11 Tf 14 TL 56 780 Td ${lines.map((line) => `(${escapePdf(line)}) Tj T*`).join(" ")} ET`;
}

/** A4 pages of text, one string a line. */
export function textPdf(pages: string[][]): Uint8Array<ArrayBuffer> {
  const objects: PdfObject[] = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const kids: number[] = [];
  for (const lines of pages) {
    objects.push({ dict: "", data: ascii(textPageContent(lines)) });
    const contents = objects.length;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} 0 R >>`,
    );
    kids.push(objects.length);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  return serializePdf(objects, 1);
}

/** The file: header, objects, cross-reference table and trailer (`trailerExtra`: more trailer entries). */
export function serializePdf(objects: PdfObject[], catalog: number, trailerExtra = ""): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const write = (part: Uint8Array | string) => {
    const bytes = typeof part === "string" ? ascii(part) : part;
    parts.push(bytes);
    size += bytes.length;
  };
  write("%PDF-1.4\n");
  const offsets: number[] = [];
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
  write(`trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${trailerExtra} >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Just enough of the PDF format to write text pages that pdf.js (and any reader) opens:
 * the sample campaign's printable handout, and the tests' fixture books. One standard
 * font (Helvetica, so ASCII text), one line per string, headings in larger type, no
 * layout beyond that.
 */

export type PdfObject = string | { dict: string; data: Uint8Array };

export const escapePdf = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);
const ascii = (text: string) => new TextEncoder().encode(text);

/** A line of a page: text in 11 pt, or a heading (level 1 in 18 pt, level 2 in 14 pt). */
export type PdfTextLine = string | { heading: string; level: 1 | 2 };
const BODY_PT = 11;
const HEADING_PT = { 1: 18, 2: 14 } as const;

/** An A4 page's drawing instructions for its lines, from the top-left margin down. */
export function textPageContent(lines: PdfTextLine[]): string {
  let size: number = BODY_PT;
  const ops = lines.map((line) => {
    const [text, pt] = typeof line === "string" ? [line, BODY_PT] : [line.heading, HEADING_PT[line.level]];
    // The type size (and the line spacing after it) only where it changes.
    const change = pt === size ? "" : `/F1 ${pt} Tf ${pt + 3} TL `;
    size = pt;
    return `${change}(${escapePdf(text)}) Tj T*`;
  });
  return `BT /F1 ${BODY_PT} Tf ${BODY_PT + 3} TL 56 780 Td ${ops.join(" ")} ET`;
}

/** A4 pages of text, one line each. */
export function textPdf(pages: PdfTextLine[][]): Uint8Array<ArrayBuffer> {
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

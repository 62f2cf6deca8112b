/**
 * Minimal PDFs built by the tests themselves: text pages, pages with only drawings (as
 * a scanned book looks to a text extractor), no pages at all, and a password-protected
 * file. Just enough of the PDF format for pdf.js to read (or refuse) them.
 */

const escapePdf = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);

interface PdfOptions {
  /** Each page's lines of text; null draws a filled rectangle and no text. */
  pages: (string[] | null)[];
  /** Adds a Standard security handler whose passwords no one knows. */
  encrypted?: boolean;
  /** Bytes of an unreferenced object before the pages (a large file whose text is small). */
  padding?: number;
}

export function buildPdf({ pages, encrypted = false, padding = 0 }: PdfOptions): Uint8Array {
  const objects: string[] = [];
  const add = (body: string) => {
    objects.push(body);
    return objects.length;
  };
  if (padding) add(`<< /Length ${padding} >>\nstream\n${"x".repeat(padding)}\nendstream`);
  const catalog = add("");
  const pageTree = add("");
  const font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  const kids: number[] = [];
  for (const lines of pages) {
    const content = lines
      ? `BT /F1 11 Tf 14 TL 56 780 Td ${lines.map((line) => `(${escapePdf(line)}) Tj T*`).join(" ")} ET`
      : "0.5 g 56 56 480 700 re f";
    const stream = add(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
    kids.push(
      add(
        `<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${stream} 0 R >>`,
      ),
    );
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pageTree} 0 R >>`;
  objects[pageTree - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  const hex = (n: number) => "ab".repeat(n);
  const encrypt = encrypted ? add(`<< /Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32)}> /P -4 >>`) : 0;

  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${
    encrypted ? ` /Encrypt ${encrypt} 0 R /ID [<${hex(16)}> <${hex(16)}>]` : ""
  } >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

/** A book of `count` pages; page n says which page it is and carries a findable word. */
export function bookPages(count: number): string[][] {
  return Array.from({ length: count }, (_, i) => [
    `Chapter ${Math.floor(i / 10) + 1}, page ${i + 1}.`,
    `The warden of page${i + 1} guards the ${i % 2 ? "eastern" : "western"} gate of the sunken keep.`,
    "Every night the bell tolls thrice, and the drowned knights rise to walk the causeway until dawn.",
  ]);
}

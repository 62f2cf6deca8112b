import { strToU8, type Zippable, zipSync } from "fflate";

/**
 * Word documents built by the tests themselves (fflate): paragraphs, headings, an inline
 * picture, extra parts, and ways to lie about sizes. Just enough of the format for mammoth.
 */

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const WP = 'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"';

export const paragraph = (text: string, style?: string) =>
  `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ""}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;

/** An inline picture (the relationship rId9 → word/media/image1.png). */
export const picture = (description: string) =>
  `<w:p><w:r><w:drawing><wp:inline><wp:docPr id="1" name="Picture" descr="${description}"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:blipFill><a:blip r:embed="rId9"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`;

interface DocxOptions {
  /** The document body's XML (paragraphs). */
  body: string;
  /** Bytes of the picture part, if the body shows one. */
  image?: Uint8Array;
  /** More entries in the archive. */
  extra?: Zippable;
}

export function buildDocx({ body, image, extra = {} }: DocxOptions): Uint8Array {
  const styles = ["Heading1", "Heading2"]
    .map((id, i) => `<w:style w:type="paragraph" w:styleId="${id}"><w:name w:val="heading ${i + 1}"/></w:style>`)
    .join("");
  return zipSync({
    "[Content_Types].xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>',
    ),
    "_rels/.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    "word/_rels/document.xml.rels": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>${
        image
          ? '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/>'
          : ""
      }</Relationships>`,
    ),
    "word/styles.xml": strToU8(`<?xml version="1.0" encoding="UTF-8"?><w:styles ${W}>${styles}</w:styles>`),
    "word/document.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><w:document ${W} ${R} ${WP}><w:body>${body}</w:body></w:document>`,
    ),
    ...(image ? { "word/media/image1.png": image } : {}),
    ...extra,
  });
}

/**
 * Rewrites the uncompressed size the archive declares for `name` (central directory and
 * local header), as a crafted file would, to hide how far the part really inflates.
 */
export function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const wanted = new TextEncoder().encode(name);
  const matches = (nameAt: number, length: number) =>
    length === wanted.length && wanted.every((byte, i) => out[nameAt + i] === byte);
  for (let at = 0; at + 46 < out.length; at++) {
    const signature = view.getUint32(at, true);
    if (signature === 0x02014b50 && matches(at + 46, view.getUint16(at + 28, true))) {
      view.setUint32(at + 24, size, true);
    } else if (signature === 0x04034b50 && matches(at + 30, view.getUint16(at + 26, true))) {
      view.setUint32(at + 22, size, true);
    }
  }
  return out;
}

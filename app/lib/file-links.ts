/**
 * Where a file's text and bytes open. In the owner's library they are the library's pages;
 * inside a campaign they are the campaign's own routes, which every member the policy
 * lets read its files can open (ADR 0026) and which never reach the rest of the library.
 */
export interface FileLinks {
  /** The reader, at a passage (`#passage-N`). */
  reader(fileKey: string, passage?: number): string;
  /** The bytes inline, at a PDF page (`#page=N`). */
  bytes(fileKey: string, page?: number | null): string;
}

const at = (hash: string, value: number | null | undefined) => (value ? `#${hash}=${value}` : "");

export function fileLinks(campaignId: string | null | undefined): FileLinks {
  if (!campaignId) {
    return {
      reader: (fileKey, passage) => `/library/${fileKey}/read${passage === undefined ? "" : `#passage-${passage}`}`,
      bytes: (fileKey, page) => `/files/${fileKey}${at("page", page)}`,
    };
  }
  const base = `/campaigns/${campaignId}/files`;
  return {
    reader: (fileKey, passage) => `${base}/${fileKey}/read${passage === undefined ? "" : `#passage-${passage}`}`,
    bytes: (fileKey, page) => `${base}/${fileKey}/download${at("page", page)}`,
  };
}

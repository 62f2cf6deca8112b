import { strFromU8, unzipSync } from "fflate";
import { readFrontMatter, splitFrontMatter } from "~/server/archives/front-matter.server";

/**
 * Reading archives back in tests with a ZIP reader that is not ours (fflate's), so an
 * archive our writer makes must be one another program opens.
 */
export async function unzipResponse(response: Response | null): Promise<Record<string, Uint8Array>> {
  if (!response) throw new Error("no response");
  if (response.status !== 200) throw new Error(`answered ${response.status}: ${await response.text()}`);
  return unzipSync(new Uint8Array(await response.arrayBuffer()));
}

export function textsOf(files: Record<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, strFromU8(bytes)]));
}

export interface ManifestJson {
  format: string;
  version: number;
  exportedAt: string;
  scope: string;
  campaigns: {
    campaign: Record<string, unknown> & { name: string; file: string; id: string };
    view: string;
    sections: Record<string, (Record<string, unknown> & { file?: string | null })[]>;
  }[];
}

export function manifestOf(texts: Record<string, string>): ManifestJson {
  const text = texts["loresmith.json"];
  if (!text) throw new Error("no loresmith.json");
  return JSON.parse(text) as ManifestJson;
}

/** A Markdown file of the archive: its front matter's values and its body. */
export function noteOf(text: string | undefined) {
  if (text === undefined) throw new Error("no such file");
  const { frontMatter, body } = splitFrontMatter(text);
  return { values: Object.fromEntries(readFrontMatter(frontMatter ?? "")), body };
}

import { z } from "zod";

/**
 * The quick switcher (Ctrl/⌘-K): jump to a campaign, entry, character or file by name.
 * Browser-safe: the route's query and the dialog share these.
 */
export const SWITCHER_QUERY_MAX = 100;
export const switcherQuerySchema = z.string().trim().max(SWITCHER_QUERY_MAX).catch("");

export interface SwitcherMatch {
  kind: "campaign" | "entry" | "character" | "file";
  title: string;
  /** Where it is: the campaign of an entry or character, "Library" for a file. */
  where: string;
  href: string;
}

export const switcherKindLabels: Record<SwitcherMatch["kind"], string> = {
  campaign: "Campaign",
  entry: "Entry",
  character: "Character",
  file: "File",
};

/**
 * Domain vocabularies shared by the browser (forms, labels) and the server (schema, D1
 * CHECK constraints). Browser-safe: no server imports here.
 */

export const campaignStatuses = ["planning", "active", "paused", "completed", "archived"] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];
export const campaignStatusLabels: Record<CampaignStatus, string> = {
  planning: "Planning",
  active: "Active",
  paused: "Paused",
  completed: "Completed",
  archived: "Archived",
};

export const contextTypes = [
  "lore",
  "location",
  "faction",
  "item",
  "plot_hook",
  "session_note",
  "house_rule",
  "other",
] as const;
export type ContextType = (typeof contextTypes)[number];
export const contextTypeLabels: Record<ContextType, string> = {
  lore: "Lore",
  location: "Location",
  faction: "Faction",
  item: "Item",
  plot_hook: "Plot hook",
  session_note: "Session note",
  house_rule: "House rule",
  other: "Other",
};

export const characterTypes = ["pc", "npc"] as const;
export type CharacterType = (typeof characterTypes)[number];
export const characterTypeLabels: Record<CharacterType, string> = { pc: "Player character", npc: "NPC" };

/** What a character keeps beside its name and backstory (its metadata column). */
export interface CharacterDetails {
  playerName?: string;
  ancestry?: string;
  characterClass?: string;
  level?: number;
  alignment?: string;
  stats: { key: string; value: string }[];
}

export const characterStatuses = ["alive", "dead", "missing"] as const;
export type CharacterStatus = (typeof characterStatuses)[number];
export const characterStatusLabels: Record<CharacterStatus, string> = {
  alive: "Alive",
  dead: "Dead",
  missing: "Missing",
};

/** Suggestions only: the game system is free text. */
export const gameSystemSuggestions = [
  "D&D 5e",
  "D&D 5e (2024)",
  "Pathfinder 2e",
  "Call of Cthulhu 7e",
  "Blades in the Dark",
  "Daggerheart",
  "Shadowdark",
  "Old-School Essentials",
  "Mothership",
  "Vampire: The Masquerade",
  "Cyberpunk RED",
  "Savage Worlds",
  "Fate Core",
];

import { z } from "zod";
import { campaignStatuses, characterStatuses, characterTypes, contextTypes } from "./domain";
import { type Audience, audienceSchema, playerEditableFields } from "./members";

/**
 * Form schemas for campaigns, context entries and characters: the same schema validates
 * inline in the browser (Conform) and authoritatively in the action.
 */

export const MAX_MARKDOWN_LENGTH = 50_000;
export const MAX_TAGS = 20;

/** "lore, Sword Coast , lore" → ["lore", "Sword Coast"]: trimmed, de-duplicated, case kept. */
export const tagsField = z
  .string()
  .max(1_000, "That is a lot of tags: keep them under 1,000 characters.")
  .optional()
  .transform((value, ctx) => {
    const seen = new Set<string>();
    const tags: string[] = [];
    for (const raw of (value ?? "").split(",")) {
      const tag = raw.trim().replace(/\s+/g, " ");
      if (!tag || seen.has(tag.toLowerCase())) continue;
      if (tag.length > 40) {
        ctx.addIssue({
          code: "custom",
          message: `"${tag.slice(0, 20)}…" is too long: tags are at most 40 characters.`,
        });
        return z.NEVER;
      }
      seen.add(tag.toLowerCase());
      tags.push(tag);
    }
    if (tags.length > MAX_TAGS) {
      ctx.addIssue({ code: "custom", message: `Use at most ${MAX_TAGS} tags.` });
      return z.NEVER;
    }
    return tags;
  });

export const MAX_ALIASES = 10;

/**
 * Other names an entry or character answers to in `[[links]]` ("The Duke, Aldric"): trimmed,
 * de-duplicated case-insensitively, without the characters a link cannot hold.
 */
export const aliasesField = z
  .string()
  .max(1_500, "Keep the other names under 1,500 characters.")
  .optional()
  .transform((value, ctx) => {
    const seen = new Set<string>();
    const aliases: string[] = [];
    for (const raw of (value ?? "").split(",")) {
      const alias = raw.trim().replace(/\s+/g, " ");
      if (!alias || seen.has(alias.toLowerCase())) continue;
      if (alias.length > 120 || /[[\]|]/.test(alias)) {
        ctx.addIssue({
          code: "custom",
          message: `"${alias.slice(0, 20)}…" cannot be a name: names are at most 120 characters, without [ ] or |.`,
        });
        return z.NEVER;
      }
      seen.add(alias.toLowerCase());
      aliases.push(alias);
    }
    if (aliases.length > MAX_ALIASES) {
      ctx.addIssue({ code: "custom", message: `Give at most ${MAX_ALIASES} other names.` });
      return z.NEVER;
    }
    return aliases;
  });

const markdownField = z
  .string()
  .max(MAX_MARKDOWN_LENGTH, `Keep this under ${MAX_MARKDOWN_LENGTH.toLocaleString("en")} characters.`)
  .optional()
  .transform((value) => value ?? "");

const optionalText = (max: number, label: string) =>
  z.string().trim().max(max, `${label} is at most ${max} characters.`).optional();

/** The version a form started from: an update that finds another version is refused. */
export const versionField = z.number({ error: "This form is missing its version: reload the page." }).int().min(1);

export const campaignSchema = z.object({
  name: z.string({ error: "Give the campaign a name." }).trim().min(1, "Give the campaign a name.").max(120),
  description: markdownField,
  status: z.enum(campaignStatuses, { error: "Choose a status." }),
  system: optionalText(80, "The game system"),
  setting: optionalText(120, "The setting"),
  nextSessionAt: z.iso.date({ error: "Enter a date like 2026-12-05." }).optional(),
  tags: tagsField,
});
export const campaignUpdateSchema = campaignSchema.extend({ version: versionField });
export type CampaignInput = z.output<typeof campaignSchema>;

export const contextEntrySchema = z.object({
  contextType: z.enum(contextTypes, { error: "Choose a type." }),
  title: z.string({ error: "Give the entry a title." }).trim().min(1, "Give the entry a title.").max(200),
  content: markdownField,
  tags: tagsField,
  aliases: aliasesField,
  audience: audienceSchema,
});
/**
 * Renaming keeps the old name as another name (ADR 0035) unless this is ticked; a form
 * that sends nothing keeps it, so an API client's rename never breaks links by default.
 */
const forgetOldNameField = z.boolean().optional();
export const contextEntryUpdateSchema = contextEntrySchema.extend({
  version: versionField,
  forgetOldName: forgetOldNameField,
});
/** An entry as saved; who sees it defaults to the GMs only. */
export type ContextEntryInput = Omit<z.output<typeof contextEntrySchema>, "audience" | "aliases"> & {
  audience?: Audience;
  aliases?: string[];
  forgetOldName?: boolean;
};

const statSchema = z.object({
  key: z.string().trim().max(40, "Stat names are at most 40 characters.").optional(),
  value: z.string().trim().max(200, "Stat values are at most 200 characters.").optional(),
});

export const characterSchema = z.object({
  characterName: z.string({ error: "Give the character a name." }).trim().min(1, "Give the character a name.").max(120),
  characterType: z.enum(characterTypes, { error: "Choose PC or NPC." }),
  aliases: aliasesField,
  status: z.enum(characterStatuses, { error: "Choose a status." }),
  playerName: optionalText(80, "The player name"),
  ancestry: optionalText(80, "Ancestry"),
  characterClass: optionalText(80, "Class"),
  level: z.number({ error: "Level is a whole number." }).int().min(0).max(30, "Levels go up to 30.").optional(),
  alignment: optionalText(40, "Alignment"),
  backstory: markdownField,
  // Blank rows (the spare ones a form shows) are dropped.
  stats: z
    .array(statSchema)
    .max(40, "Keep it to 40 stats.")
    .optional()
    .transform((rows) =>
      (rows ?? []).filter((row) => row.key || row.value).map((row) => ({ key: row.key ?? "", value: row.value ?? "" })),
    )
    .refine((rows) => rows.every((row) => row.key), { message: "Every stat needs a name." }),
  sheetFileKey: z
    .string()
    .regex(/^[0-9a-f]{32}$/, "Choose a file from the list.")
    .optional(),
  audience: audienceSchema,
});
export const characterUpdateSchema = characterSchema.extend({
  version: versionField,
  forgetOldName: forgetOldNameField,
});
/** A character as saved; who sees it defaults to the GMs only. */
export type CharacterInput = Omit<z.output<typeof characterSchema>, "audience" | "aliases"> & {
  audience?: Audience;
  aliases?: string[];
  forgetOldName?: boolean;
};

export const campaignListQuerySchema = z.object({
  status: z.enum([...campaignStatuses, "all"]).catch("all"),
  q: z.string().trim().max(120).catch(""),
  sort: z.enum(["updated", "name", "created"]).catch("updated"),
});

export const contextListQuerySchema = z.object({
  type: z.enum([...contextTypes, "all"]).catch("all"),
  tag: z.string().trim().max(40).catch(""),
});

export const characterListQuerySchema = z.object({
  kind: z.enum([...characterTypes, "all"]).catch("all"),
  status: z.enum([...characterStatuses, "all"]).catch("all"),
});

export const fileDetailsSchema = z.object({
  description: z.string().trim().max(2_000, "Keep the description under 2,000 characters.").optional(),
  tags: tagsField,
  version: versionField,
});

const fileKeyField = z.string({ error: "Choose a file." }).regex(/^[0-9a-f]{32}$/, "Choose a file from the list.");

/** The most files one attach form takes at once (a D1 batch each, and a page of checkboxes). */
export const MAX_ATTACH_AT_ONCE = 50;

export const attachFileSchema = z.object({
  intent: z.literal("attach"),
  fileKeys: z
    .array(fileKeyField, { error: "Choose at least one file." })
    .min(1, "Choose at least one file.")
    .max(MAX_ATTACH_AT_ONCE, `Attach at most ${MAX_ATTACH_AT_ONCE} files at once.`),
  description: z.string().trim().max(500, "Keep the note under 500 characters.").optional(),
  tags: tagsField,
  audience: audienceSchema,
});

/** Shares an attached file with the campaign, or keeps it for the GMs. */
export const fileAudienceSchema = z.object({ fileKey: fileKeyField, audience: audienceSchema });

export const attachToCampaignSchema = z.object({
  intent: z.literal("attach"),
  campaignId: z.string({ error: "Choose a campaign." }).uuid("Choose a campaign from the list."),
  description: z.string().trim().max(500, "Keep the note under 500 characters.").optional(),
  tags: tagsField,
});

/** A note in the session log (ADR 0026): short, for everyone unless a GM keeps it for the GMs. */
export const LOG_NOTE_MAX = 500;
export const logNoteSchema = z.object({
  body: z
    .string({ error: "Write the note first." })
    .trim()
    .min(1, "Write the note first.")
    .max(LOG_NOTE_MAX, `Keep a note under ${LOG_NOTE_MAX} characters; add a second one for the rest.`),
  gmOnly: z.literal("on").optional(),
});
export const logNoteTargetSchema = z.object({
  noteId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

/** A member's own note (ADR 0026): private until they share it with the GMs. */
export const MEMBER_NOTE_TITLE_MAX = 120;
export const MEMBER_NOTE_BODY_MAX = 20_000;
export const memberNoteSchema = z.object({
  title: z
    .string({ error: "Give the note a title." })
    .trim()
    .min(1, "Give the note a title.")
    .max(MEMBER_NOTE_TITLE_MAX, `Keep the title under ${MEMBER_NOTE_TITLE_MAX} characters.`),
  body: z
    .string()
    .max(
      MEMBER_NOTE_BODY_MAX,
      `Keep a note under ${MEMBER_NOTE_BODY_MAX.toLocaleString("en")} characters; start another for the rest.`,
    )
    .optional()
    .default(""),
});
export const memberNoteTargetSchema = z.object({
  noteId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
export const memberNoteShareSchema = memberNoteTargetSchema.extend({ shared: z.enum(["0", "1"]) });

/** The GMs name who plays a character and what that player may change on it. */
export const characterPlayerSchema = z.object({
  playerId: z.string().min(1).max(64).optional(),
  playerFields: z
    .array(z.enum(playerEditableFields))
    .max(playerEditableFields.length)
    .optional()
    .transform((fields) => [...new Set(fields ?? [])]),
});

/** What a player sends from their character's page: the allowed fields; the server keeps only those. */
export const playerCharacterSchema = characterSchema
  .pick({ ancestry: true, characterClass: true, level: true, alignment: true, backstory: true, stats: true })
  .extend({ version: versionField });
export type PlayerCharacterInput = z.output<typeof playerCharacterSchema>;

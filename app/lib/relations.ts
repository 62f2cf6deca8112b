/**
 * Relations between a campaign's entries and characters (issue 16, ADR 0036): their
 * vocabulary, bounds and form schemas, shared by the browser (forms, labels) and the
 * server (schema CHECKs, domain code). Browser-safe: no server imports here.
 *
 * A relation is stored once, from one end to the other ("Duke Aldric — member of — The
 * Silver Hand"), and shown on both ends: the `to` end reads it with the inverse label
 * ("The Silver Hand — has member — Duke Aldric").
 */
import { z } from "zod";
import { audienceSchema } from "./members";

/** What a relation's end is: an entry (campaign_context) or a character (campaign_characters). */
export const relationEndKinds = ["entry", "character"] as const;
export type RelationEndKind = (typeof relationEndKinds)[number];

export const relationTypes = ["member_of", "located_in", "ally_of", "enemy_of", "parent_of", "owns", "custom"] as const;
export type RelationType = (typeof relationTypes)[number];
export type BuiltInRelationType = Exclude<RelationType, "custom">;

/** Each built-in type's label read from its `from` end, and from its `to` end. */
export const relationLabels: Record<BuiltInRelationType, { label: string; inverse: string }> = {
  member_of: { label: "member of", inverse: "has member" },
  located_in: { label: "located in", inverse: "location of" },
  ally_of: { label: "ally of", inverse: "ally of" },
  enemy_of: { label: "enemy of", inverse: "enemy of" },
  parent_of: { label: "parent of", inverse: "child of" },
  owns: { label: "owns", inverse: "owned by" },
};

/** Types that read the same from both ends: stored with their ends in one order, so A–B and B–A are one relation. */
export function isSymmetric(type: RelationType): boolean {
  return type !== "custom" && relationLabels[type].label === relationLabels[type].inverse;
}

/** A custom label (and its inverse) is 1–40 characters. */
export const RELATION_LABEL_MAX = 40;
/** A relation's optional note. */
export const RELATION_NOTE_MAX = 200;
/** How many relations one campaign holds at most. */
export const MAX_RELATIONS_PER_CAMPAIGN = 5_000;
/** The relations view draws at most this many entries and characters (the best connected); the list has all. */
export const MAX_GRAPH_NODES = 300;
/** The relations view draws at most this many relations between the nodes it draws. */
export const MAX_GRAPH_EDGES = 1_000;
/** The add form offers at most this many entries and as many characters as targets. */
export const MAX_TARGET_OPTIONS = 500;

/**
 * What the add form's "relation" select offers, read from the page's own end: each
 * built-in label, the inverse of each asymmetric one (stored the other way round), and
 * custom. `~parent_of` on a child's page means "child of": the other end is the parent.
 */
export const relationPhrases = [
  ...(Object.keys(relationLabels) as BuiltInRelationType[]).flatMap((type) =>
    isSymmetric(type)
      ? [{ value: type, type, reversed: false, text: relationLabels[type].label }]
      : [
          { value: type, type, reversed: false, text: relationLabels[type].label },
          { value: `~${type}`, type, reversed: true, text: relationLabels[type].inverse },
        ],
  ),
  { value: "custom", type: "custom" as const, reversed: false, text: "Custom…" },
] as const satisfies readonly { value: string; type: RelationType; reversed: boolean; text: string }[];
export const relationPhraseValues = relationPhrases.map((phrase) => phrase.value) as [string, ...string[]];

/** An end of a relation as a form sends it: `entry:12` or `character:5`. */
export const relationEndSchema = z
  .string({ error: "Choose what it relates to." })
  .regex(/^(entry|character):\d{1,15}$/, "Choose what it relates to.")
  .transform((value) => {
    const [kind, id] = value.split(":");
    return { kind: kind as RelationEndKind, id: Number(id) };
  });

export const relationEndValue = (end: { kind: RelationEndKind; id: number }) => `${end.kind}:${end.id}`;

/** Trimmed, inner whitespace collapsed (a label is one line). */
const labelField = (what: string) =>
  z
    .string()
    .trim()
    .transform((value) => value.replace(/\s+/g, " "))
    .pipe(z.string().max(RELATION_LABEL_MAX, `${what} is at most ${RELATION_LABEL_MAX} characters.`))
    .optional();

/** The add form on an entry's or character's page: the relation read from that page's end. */
export const relationFormSchema = z
  .object({
    phrase: z.enum(relationPhraseValues, { error: "Choose a relation." }),
    target: relationEndSchema,
    label: labelField("The label"),
    inverseLabel: labelField("The other side's label"),
    note: z
      .string()
      .trim()
      .max(RELATION_NOTE_MAX, `Keep the note under ${RELATION_NOTE_MAX} characters.`)
      .optional()
      .transform((value) => value ?? ""),
    audience: audienceSchema,
  })
  .superRefine((value, ctx) => {
    if (value.phrase !== "custom") return;
    if (!value.label) ctx.addIssue({ code: "custom", path: ["label"], message: "Name the custom relation." });
    if (!value.inverseLabel)
      ctx.addIssue({ code: "custom", path: ["inverseLabel"], message: "Say how it reads from the other side." });
  });
export type RelationFormInput = z.output<typeof relationFormSchema>;

export const relationTargetSchema = z.object({
  relationId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
export const relationAudienceFormSchema = relationTargetSchema.extend({ audience: audienceSchema });

/** One relation by ids, as an import brings it (ids of the campaign it goes into). */
export const relationImportSchema = z.object({
  fromKind: z.enum(relationEndKinds),
  fromId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  toKind: z.enum(relationEndKinds),
  toId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  type: z.enum(relationTypes),
  label: z.string().max(RELATION_LABEL_MAX).default(""),
  inverseLabel: z.string().max(RELATION_LABEL_MAX).default(""),
  note: z.string().max(RELATION_NOTE_MAX).default(""),
  audience: audienceSchema,
});
export type RelationImport = z.input<typeof relationImportSchema>;

/** A relation's label read from one of its ends. */
export function relationLabel(
  relation: { type: RelationType; label: string; inverseLabel: string },
  side: "from" | "to",
): string {
  if (relation.type === "custom") return side === "from" ? relation.label : relation.inverseLabel;
  return side === "from" ? relationLabels[relation.type].label : relationLabels[relation.type].inverse;
}

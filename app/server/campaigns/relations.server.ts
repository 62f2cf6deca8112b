import type { SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { and, asc, eq, or, type SQL, sql } from "drizzle-orm";
import type { Audience } from "~/lib/members";
import {
  isSymmetric,
  MAX_RELATIONS_PER_CAMPAIGN,
  MAX_TARGET_OPTIONS,
  type RelationEndKind,
  type RelationImport,
  type RelationType,
  relationAudienceFormSchema,
  relationFormSchema,
  relationImportSchema,
  relationLabel,
  relationPhrases,
  relationTargetSchema,
} from "~/lib/relations";
import type { Db } from "../db/db.server";
import { QuotaExceeded } from "../db/quota.server";
import { type Campaign, campaignCharacters, campaignContext, campaignRelations } from "../db/schema";
import { notFound, Refusal, unknownIntent } from "../http/responses.server";
import {
  type CampaignAccess,
  type CampaignReader,
  visibleCharacters,
  visibleEntries,
  visibleRelations,
} from "./policy.server";

/**
 * Typed relations between a campaign's entries and characters (issue 16, ADR 0036).
 *
 * A relation is one row, from one end to the other; both ends' pages show it, the `to`
 * end with the inverse label. Every read goes through the policy's `visibleRelations`: a
 * reader sees a relation only if it is shared with them and they may see both its ends,
 * so a hidden relation or a hidden end is in no list, count or graph. Writes, which only
 * who may edit material reach, check in the insert statement itself that both ends are
 * the campaign's, that it is not already there, and that the campaign holds fewer than
 * MAX_RELATIONS_PER_CAMPAIGN.
 */

export interface RelationEnd {
  kind: RelationEndKind;
  id: number;
}

export type RelationRow = typeof campaignRelations.$inferSelect;

/** A relation as a reader sees it, with both ends' names. */
export interface RelationView {
  id: number;
  from: RelationEnd & { name: string };
  to: RelationEnd & { name: string };
  type: RelationType;
  label: string;
  inverseLabel: string;
  note: string;
  audience: Audience;
}

/** A relation as listCampaignRelations answers it: with when it was made and last changed (an export keeps them). */
export interface DatedRelationView extends RelationView {
  createdAt: number;
  updatedAt: number;
}

export const endHref = (campaignId: string, end: RelationEnd) =>
  `/campaigns/${campaignId}/${end.kind === "entry" ? "context" : "characters"}/${end.id}`;

const sameEnd = (a: RelationEnd, b: RelationEnd) => a.kind === b.kind && a.id === b.id;

/** (kind, id) order: a symmetric relation's `from` is the lesser end. */
const endOrder = (a: RelationEnd, b: RelationEnd) => (a.kind === b.kind ? a.id - b.id : a.kind < b.kind ? -1 : 1);

/** A relation's ends as stored: a symmetric type's in (kind, id) order. */
function storedEnds(type: RelationType, from: RelationEnd, to: RelationEnd): [RelationEnd, RelationEnd] {
  return isSymmetric(type) && endOrder(from, to) > 0 ? [to, from] : [from, to];
}

/** An end's name, by a subquery that only runs for rows the reader already passed. */
function endName(side: "from" | "to"): SQL<string> {
  const kind = sql.raw(`"campaign_relations"."${side}_kind"`);
  const id = sql.raw(`"campaign_relations"."${side}_id"`);
  return sql<string>`(CASE ${kind}
    WHEN 'entry' THEN (SELECT "campaign_context"."title" FROM campaign_context WHERE "campaign_context"."id" = ${id})
    ELSE (SELECT "campaign_characters"."character_name" FROM campaign_characters WHERE "campaign_characters"."id" = ${id}) END)`;
}

const viewColumns = {
  id: campaignRelations.id,
  fromKind: campaignRelations.fromKind,
  fromId: campaignRelations.fromId,
  fromName: endName("from"),
  toKind: campaignRelations.toKind,
  toId: campaignRelations.toId,
  toName: endName("to"),
  type: campaignRelations.type,
  label: campaignRelations.label,
  inverseLabel: campaignRelations.inverseLabel,
  note: campaignRelations.note,
  audience: campaignRelations.audience,
  createdAt: campaignRelations.createdAt,
  updatedAt: campaignRelations.updatedAt,
};

interface ViewRow {
  id: number;
  fromKind: RelationEndKind;
  fromId: number;
  fromName: string;
  toKind: RelationEndKind;
  toId: number;
  toName: string;
  type: RelationType;
  label: string;
  inverseLabel: string;
  note: string;
  audience: Audience;
  createdAt: number;
  updatedAt: number;
}

function toView(row: ViewRow): DatedRelationView {
  return {
    id: row.id,
    from: { kind: row.fromKind, id: row.fromId, name: row.fromName },
    to: { kind: row.toKind, id: row.toId, name: row.toName },
    type: row.type,
    label: row.label,
    inverseLabel: row.inverseLabel,
    note: row.note,
    audience: row.audience,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const touches = (end: RelationEnd) =>
  or(
    and(eq(campaignRelations.fromKind, end.kind), eq(campaignRelations.fromId, end.id)),
    and(eq(campaignRelations.toKind, end.kind), eq(campaignRelations.toId, end.id)),
  );

/** The most relations one entry's or character's page lists (a campaign holds at most MAX_RELATIONS_PER_CAMPAIGN). */
export const MAX_RELATIONS_SHOWN = 500;

/** One relation read from the page of one of its ends: what it is called from there, and the other end. */
export interface RelationFromHere {
  id: number;
  label: string;
  other: RelationEnd & { name: string; href: string };
  note: string;
  audience: Audience;
}

/**
 * The relations of one entry or character the reader sees, read from that end, sorted by
 * label then the other end's name; at most MAX_RELATIONS_SHOWN (`more` says there were more).
 */
export async function relationsOf(
  db: Db,
  reader: CampaignReader,
  end: RelationEnd,
): Promise<{ relations: RelationFromHere[]; more: boolean }> {
  const rows = await db
    .select(viewColumns)
    .from(campaignRelations)
    .where(and(eq(campaignRelations.campaignId, reader.campaign.id), touches(end), visibleRelations(reader)))
    .orderBy(asc(campaignRelations.id))
    .limit(MAX_RELATIONS_SHOWN + 1);
  const relations = rows.slice(0, MAX_RELATIONS_SHOWN).map((row) => {
    const view = toView(row);
    const side = sameEnd(view.from, end) ? "from" : "to";
    const other = side === "from" ? view.to : view.from;
    return {
      id: view.id,
      label: relationLabel(view, side),
      other: { ...other, href: endHref(reader.campaign.id, other) },
      note: view.note,
      audience: view.audience,
    };
  });
  relations.sort((a, b) => a.label.localeCompare(b.label) || a.other.name.localeCompare(b.other.name) || a.id - b.id);
  return { relations, more: rows.length > MAX_RELATIONS_SHOWN };
}

/**
 * Every relation of the campaign the reader sees (at most MAX_RELATIONS_PER_CAMPAIGN), in
 * creation order: the relations view, and what an export writes for them.
 */
export async function listCampaignRelations(db: Db, reader: CampaignReader): Promise<DatedRelationView[]> {
  const rows = await db
    .select(viewColumns)
    .from(campaignRelations)
    .where(and(eq(campaignRelations.campaignId, reader.campaign.id), visibleRelations(reader)))
    .orderBy(asc(campaignRelations.id))
    .limit(MAX_RELATIONS_PER_CAMPAIGN);
  return rows.map(toView);
}

/** What the add form offers as the other end: the campaign's entries and characters the reader sees, by name. */
export async function relationTargets(db: Db, reader: CampaignReader) {
  const [entries, characters] = await db.batch([
    db
      .select({ id: campaignContext.id, name: campaignContext.title })
      .from(campaignContext)
      .where(and(eq(campaignContext.campaignId, reader.campaign.id), visibleEntries(reader)))
      .orderBy(sql`${campaignContext.title} COLLATE NOCASE`, asc(campaignContext.id))
      .limit(MAX_TARGET_OPTIONS + 1),
    db
      .select({ id: campaignCharacters.id, name: campaignCharacters.characterName })
      .from(campaignCharacters)
      .where(and(eq(campaignCharacters.campaignId, reader.campaign.id), visibleCharacters(reader)))
      .orderBy(sql`${campaignCharacters.characterName} COLLATE NOCASE`, asc(campaignCharacters.id))
      .limit(MAX_TARGET_OPTIONS + 1),
  ]);
  return {
    entries: entries.slice(0, MAX_TARGET_OPTIONS),
    characters: characters.slice(0, MAX_TARGET_OPTIONS),
    more: entries.length > MAX_TARGET_OPTIONS || characters.length > MAX_TARGET_OPTIONS,
  };
}
export type RelationTargets = Awaited<ReturnType<typeof relationTargets>>;

/** `end` is a row of `campaignId`, as an SQL condition (the insert's own check). */
function endInCampaign(campaignId: string, kind: SQL | RelationEndKind, id: SQL | number): SQL {
  return sql`(CASE ${kind}
    WHEN 'entry' THEN EXISTS (SELECT 1 FROM campaign_context WHERE id = ${id} AND campaign_id = ${campaignId})
    WHEN 'character' THEN EXISTS (SELECT 1 FROM campaign_characters WHERE id = ${id} AND campaign_id = ${campaignId})
    ELSE 0 END)`;
}

const heldBy = (campaignId: string) => sql`(SELECT count(*) FROM campaign_relations WHERE campaign_id = ${campaignId})`;

/** A relation that cannot be added, with what to do about it. */
export class RelationRefused extends Refusal {
  override name = "RelationRefused";
}

export interface NewRelation {
  from: RelationEnd;
  to: RelationEnd;
  type: RelationType;
  /** A custom relation's labels (read from `from`, and from `to`); ignored for the built-in types. */
  label?: string;
  inverseLabel?: string;
  note?: string;
  audience?: Audience;
}

/**
 * Adds a relation in one statement that inserts only when both ends are the campaign's,
 * it is not there already (the unique index), and the campaign holds fewer than `limit`.
 * Throws RelationRefused (404 for a missing end, 409 for a duplicate) or QuotaExceeded.
 */
export async function addRelation(
  db: Db,
  campaign: Campaign,
  input: NewRelation,
  limit = MAX_RELATIONS_PER_CAMPAIGN,
): Promise<RelationRow> {
  if (sameEnd(input.from, input.to)) throw new RelationRefused("A relation joins two different things.");
  const custom = input.type === "custom";
  const label = custom ? (input.label ?? "").trim() : "";
  const inverseLabel = custom ? (input.inverseLabel ?? "").trim() : "";
  if (custom && (!label || !inverseLabel)) throw new RelationRefused("Name the custom relation from both sides.");
  const [from, to] = storedEnds(input.type, input.from, input.to);
  const now = Date.now();
  // INSERT … SELECT (every column, in the table's order; a null id is the next one) WHERE the checks hold.
  const [created] = await db
    .insert(campaignRelations)
    .select(
      sql`SELECT NULL, ${campaign.id}, ${from.kind}, ${from.id}, ${to.kind}, ${to.id}, ${input.type}, ${label}, ${inverseLabel},
        ${input.note ?? ""}, ${input.audience ?? "gm"}, ${now}, ${now}
      WHERE ${endInCampaign(campaign.id, from.kind, from.id)} AND ${endInCampaign(campaign.id, to.kind, to.id)}
        AND ${heldBy(campaign.id)} < ${limit}`,
    )
    .onConflictDoNothing()
    .returning();
  if (created) return created;
  // Nothing inserted: say why (a second look, for the message only; the insert decided).
  const [why] = await db.all<{ ends: number; held: number }>(
    sql`SELECT (${endInCampaign(campaign.id, from.kind, from.id)} AND ${endInCampaign(campaign.id, to.kind, to.id)}) AS ends,
      ${heldBy(campaign.id)} AS held`,
  );
  if (!why?.ends) throw new RelationRefused("That entry or character is not in this campaign any more.", 404);
  if ((why.held ?? 0) >= limit) {
    throw new QuotaExceeded(
      `This campaign holds ${limit.toLocaleString("en")} relations, the most one campaign can. Remove relations you no longer need.`,
    );
  }
  throw new RelationRefused("These two are already related that way.", 409);
}

/** Deletes one relation of the campaign, if it touches `end` (the page it was removed from). */
export async function deleteRelation(db: Db, campaign: Campaign, relationId: number, end: RelationEnd) {
  const deleted = await db
    .delete(campaignRelations)
    .where(and(eq(campaignRelations.id, relationId), eq(campaignRelations.campaignId, campaign.id), touches(end)))
    .returning({ id: campaignRelations.id });
  return deleted.length > 0;
}

/** Shares a relation with the campaign or keeps it for the GMs again. */
export async function setRelationAudience(
  db: Db,
  campaign: Campaign,
  relationId: number,
  end: RelationEnd,
  audience: Audience,
) {
  const updated = await db
    .update(campaignRelations)
    .set({ audience, updatedAt: Date.now() })
    .where(and(eq(campaignRelations.id, relationId), eq(campaignRelations.campaignId, campaign.id), touches(end)))
    .returning({ id: campaignRelations.id });
  return updated.length > 0;
}

/** Relations one import statement carries (a JSON array, one bound value). */
const IMPORT_CHUNK = 250;

/**
 * The statements that insert `relations` (ids of `campaign`'s own entries and characters)
 * for an import, to run in one D1 batch with the rest of it. Each statement inserts its
 * chunk only while the campaign stays within `limit` with all of it, and each row only
 * when both its ends are the campaign's; duplicates are skipped. Each answers the ids it
 * inserted. Throws (before anything
 * runs) for a relation that is not valid or more than `limit` of them.
 */
export function relationImportStatements(
  db: Db,
  campaign: Campaign,
  relations: RelationImport[],
  limit = MAX_RELATIONS_PER_CAMPAIGN,
) {
  if (relations.length > limit) {
    throw new QuotaExceeded(
      `A campaign holds at most ${limit.toLocaleString("en")} relations; this has ${relations.length}.`,
    );
  }
  const rows = relations.map((relation, index) => {
    const parsed = relationImportSchema.safeParse(relation);
    if (!parsed.success)
      throw new RelationRefused(`Relation ${index + 1} is not valid: ${parsed.error.issues[0]?.message}`);
    const value = parsed.data;
    const custom = value.type === "custom";
    if (custom !== Boolean(value.label && value.inverseLabel) || (!custom && (value.label || value.inverseLabel))) {
      throw new RelationRefused(`Relation ${index + 1}: only a custom relation has labels, and it needs both.`);
    }
    const given = [
      { kind: value.fromKind, id: value.fromId },
      { kind: value.toKind, id: value.toId },
    ] as const;
    if (sameEnd(given[0], given[1])) throw new RelationRefused(`Relation ${index + 1} joins a thing to itself.`);
    const [from, to] = storedEnds(value.type, given[0], given[1]);
    return { ...value, fromKind: from.kind, fromId: from.id, toKind: to.kind, toId: to.id };
  });
  const now = Date.now();
  const field = (name: string) => sql.raw(`json_extract(j.value, '$.${name}')`);
  const statements = [];
  for (let start = 0; start < rows.length; start += IMPORT_CHUNK) {
    const chunk = rows.slice(start, start + IMPORT_CHUNK);
    statements.push(
      db
        .insert(campaignRelations)
        .select(
          sql`SELECT NULL, ${campaign.id}, ${field("fromKind")}, ${field("fromId")}, ${field("toKind")}, ${field("toId")},
            ${field("type")}, ${field("label")}, ${field("inverseLabel")}, ${field("note")}, ${field("audience")}, ${now}, ${now}
          FROM json_each(${JSON.stringify(chunk)}) j
          WHERE ${endInCampaign(campaign.id, field("fromKind"), field("fromId"))}
            AND ${endInCampaign(campaign.id, field("toKind"), field("toId"))}
            AND ${heldBy(campaign.id)} + ${chunk.length} <= ${limit}`,
        )
        .onConflictDoNothing()
        .returning({ id: campaignRelations.id }),
    );
  }
  return statements;
}

/** Inserts an import's relations in one batch (relationImportStatements); answers how many were added. */
export async function importRelations(
  db: Db,
  campaign: Campaign,
  relations: RelationImport[],
  limit = MAX_RELATIONS_PER_CAMPAIGN,
): Promise<number> {
  const [first, ...rest] = relationImportStatements(db, campaign, relations, limit);
  if (!first) return 0;
  const results = await db.batch([first, ...rest]);
  return results.reduce((sum, inserted) => sum + inserted.length, 0);
}

export type RelationFormOutcome = { message: string } | { result: SubmissionResult<string[]>; status: number };

/**
 * The relation forms of an entry's or character's page (`here`): add one read from here,
 * remove one, or change who sees it. For a caller who may edit material (the route asks).
 * Answers a toast message, or the add form's errors; 404 for a relation not of this page.
 */
export async function handleRelationForm(
  db: Db,
  access: CampaignAccess,
  here: RelationEnd,
  formData: FormData,
): Promise<RelationFormOutcome> {
  const intent = formData.get("intent");
  switch (intent) {
    case "relate": {
      const submission = parseWithZod(formData, { schema: relationFormSchema });
      if (submission.status !== "success") return { result: submission.reply(), status: 400 };
      const value = submission.value;
      const phrase = relationPhrases.find((p) => p.value === value.phrase);
      if (!phrase) return { result: submission.reply({ formErrors: ["Choose a relation."] }), status: 400 };
      try {
        await addRelation(db, access.campaign, {
          from: phrase.reversed ? value.target : here,
          to: phrase.reversed ? here : value.target,
          type: phrase.type,
          label: value.label,
          inverseLabel: value.inverseLabel,
          note: value.note,
          audience: value.audience,
        });
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        return { result: submission.reply({ formErrors: [error.message] }), status: error.status };
      }
      return { message: "Relation added." };
    }
    case "unrelate": {
      const parsed = relationTargetSchema.safeParse(Object.fromEntries(formData));
      if (!parsed.success || !(await deleteRelation(db, access.campaign, parsed.data.relationId, here)))
        notFound("relation");
      return { message: "Relation removed." };
    }
    case "relation-audience": {
      const parsed = relationAudienceFormSchema.safeParse(Object.fromEntries(formData));
      if (
        !parsed.success ||
        !(await setRelationAudience(db, access.campaign, parsed.data.relationId, here, parsed.data.audience))
      )
        notFound("relation");
      return {
        message:
          parsed.data.audience === "campaign"
            ? "Shared: everyone who may see both ends sees this relation."
            : "This relation is for the GMs again.",
      };
    }
    default:
      unknownIntent(intent);
  }
}

/** The intents handleRelationForm answers. */
export const relationIntents = ["relate", "unrelate", "relation-audience"];

import { z } from "zod";
import type { ContextType } from "./domain";

/**
 * Proposals drawn from a campaign's files (ADR 0038): the NPCs, monsters, places, items
 * and factions a book describes, each waiting for a GM's review. Browser-safe: the kinds,
 * their labels, the limits and the form schemas the review page and its action share.
 */

export const proposalKinds = ["npc", "monster", "place", "item", "faction"] as const;
export type ProposalKind = (typeof proposalKinds)[number];

export const proposalKindLabels: Record<ProposalKind, string> = {
  npc: "NPC",
  monster: "Monster",
  place: "Place",
  item: "Item",
  faction: "Faction",
};

export const proposalStatuses = ["pending", "accepted", "rejected", "merged"] as const;
export type ProposalStatus = (typeof proposalStatuses)[number];

export const proposalStatusLabels: Record<ProposalStatus, string> = {
  pending: "Waiting for review",
  accepted: "Accepted",
  rejected: "Rejected",
  merged: "Merged",
};

/** What an accepted proposal becomes: NPCs and monsters are characters (NPCs), the rest entries of a type. */
export type ProposalTarget = { table: "character" } | { table: "entry"; contextType: ContextType };

export function targetOf(kind: ProposalKind): ProposalTarget {
  switch (kind) {
    case "npc":
    case "monster":
      return { table: "character" };
    case "place":
      return { table: "entry", contextType: "location" };
    case "item":
      return { table: "entry", contextType: "item" };
    case "faction":
      return { table: "entry", contextType: "faction" };
  }
}

/** Proposals one file may hold in one campaign: a monster manual has a few hundred. */
export const MAX_PROPOSALS_PER_FILE = 2_000;
/** A proposal's name, and its excerpt, as stored. */
export const MAX_PROPOSAL_NAME = 120;
export const MAX_PROPOSAL_EXCERPT = 1_500;
/** Proposals on one page of the review list, and at most this many accepted together. */
export const PROPOSALS_PER_PAGE = 50;

const proposalId = z.coerce
  .number({ error: "This form is missing its proposal: reload the page." })
  .int()
  .positive()
  .max(Number.MAX_SAFE_INTEGER);

/** The file key of an attached file (the library's keys are 32 hex digits). */
const fileKey = z
  .string({ error: "Choose a file." })
  .trim()
  .regex(/^[0-9a-f]{32}$/, "Choose a file of this campaign.");

export const findProposalsSchema = z.object({ fileKey });

export const decideProposalSchema = z.object({ proposalId });

/** Edit, then accept: the name, the kind (and so what it becomes) and the text. */
export const editProposalSchema = z.object({
  proposalId,
  name: z
    .string({ error: "Give it a name." })
    .trim()
    .min(1, "Give it a name.")
    .max(MAX_PROPOSAL_NAME, `A name is at most ${MAX_PROPOSAL_NAME} characters.`),
  kind: z.enum(proposalKinds, { error: "Choose what it is." }),
  excerpt: z
    .string()
    .max(10_000, "Keep the text under 10,000 characters.")
    .optional()
    .transform((value) => value ?? ""),
});
export type EditedProposal = z.output<typeof editProposalSchema>;

/** Merge into an existing entry or character, at the version the form showed. */
export const mergeProposalSchema = z.object({
  proposalId,
  /** "entry:12@3" or "character:7@1": what, and the version the page showed. */
  target: z
    .string({ error: "Choose what to merge it into." })
    .regex(/^(?:entry|character):\d{1,15}@\d{1,15}$/, "Choose what to merge it into.")
    .transform((value) => {
      const [kind, rest = ""] = value.split(":");
      const [id, version] = rest.split("@");
      return {
        kind: kind === "entry" ? ("entry" as const) : ("character" as const),
        id: Number(id),
        version: Number(version),
      };
    }),
});

/** The value of a merge target's option or button. */
export const mergeTargetValue = (target: { kind: "entry" | "character"; id: number; version: number }) =>
  `${target.kind}:${target.id}@${target.version}`;

export const acceptSelectedSchema = z.object({
  selected: z
    .array(proposalId, { error: "Tick the proposals to accept." })
    .min(1, "Tick the proposals to accept.")
    .max(PROPOSALS_PER_PAGE, `Accept at most ${PROPOSALS_PER_PAGE} at once.`),
});

/** The list's filters (query string): a file of the campaign, and a status. */
export const proposalFilterSchema = z.object({
  file: fileKey.optional().catch(undefined),
  status: z.enum([...proposalStatuses, "all"]).catch("pending"),
  page: z.coerce.number().int().min(1).max(1_000).catch(1),
});

/**
 * Campaign membership vocabulary shared by the browser (forms, labels) and the server
 * (schema CHECK, policy). Browser-safe: no server imports here.
 */
import { z } from "zod";

/** What a member of someone else's campaign is (docs/decisions/0026). The owner is not a member row. */
export const memberRoles = ["co-gm", "player", "viewer"] as const;
export type MemberRole = (typeof memberRoles)[number];
/** A signed-in user's relation to a campaign they can open. */
export type CampaignRole = "owner" | MemberRole;

export const roleLabels: Record<CampaignRole, string> = {
  owner: "Owner",
  "co-gm": "Co-GM",
  player: "Player",
  viewer: "Viewer",
};

export const roleDescriptions: Record<MemberRole, string> = {
  "co-gm": "Edits everything in the campaign and sees every secret.",
  player: "Sees what you reveal to them; edits their own character and notes.",
  viewer: "Reads what is shared with the whole campaign.",
};

/**
 * Who sees an entry, a character or an attached file (ADR 0026): the GMs (owner and
 * co-GMs) only, which is the default, or everyone in the campaign.
 */
export const audiences = ["gm", "campaign"] as const;

/**
 * What the GMs may let the player of a character change on it: its backstory (only while
 * it holds no secret block, which the player cannot see), its details (ancestry, class,
 * level, alignment) and its stats. Name, type, status, sheet and who sees it stay the GMs'.
 */
export const playerEditableFields = ["backstory", "details", "stats"] as const;
export type PlayerEditableField = (typeof playerEditableFields)[number];
export const playerFieldLabels: Record<PlayerEditableField, string> = {
  backstory: "Backstory",
  details: "Ancestry, class, level and alignment",
  stats: "Stats",
};
export type Audience = (typeof audiences)[number];
export const audienceLabels: Record<Audience, string> = {
  gm: "GMs only",
  campaign: "Everyone in the campaign",
};
export const audienceSchema = z.enum(audiences, { error: "Choose who can see it." }).default("gm");

/** What a GM can reveal to chosen members (the knowledge ledger). */
export const revealSubjects = ["entry", "character", "file"] as const;
export type RevealSubject = (typeof revealSubjects)[number];

export const revealSchema = z.object({
  /** Account ids of members; none means everyone. */
  to: z.array(z.string().min(1).max(64)).max(50, "Choose at most 50 people.").default([]),
  sessionLabel: z.string().trim().max(80, "Keep the session's name under 80 characters.").optional(),
});

/** How a GM writes a secret inside Markdown: a fenced block only GMs ever see. */
export const SECRET_BLOCK_HINT =
  "A block fenced with ```secret … ``` stays hidden from players even when the rest is shared.";

/** How long an invite link works. */
export const inviteLifetimes = { "1": "1 day", "7": "7 days", "30": "30 days" } as const;
/** How many people one link lets in; "" is no limit until it expires. */
export const inviteUseLimits = { "1": "One person", "5": "Up to 5 people", "": "Anyone with the link" } as const;

export const MAX_MEMBERS = 50;
export const MAX_OPEN_INVITES = 20;

export const inviteSchema = z.object({
  role: z.enum(memberRoles, { error: "Choose a role for the people you invite." }),
  lifetimeDays: z.enum(["1", "7", "30"], { error: "Choose how long the link works." }),
  maxUses: z.enum(["1", "5", ""]).default(""),
});

export const memberTargetSchema = z.object({
  accountId: z.string({ error: "Choose a member." }).min(1).max(64),
});

export const roleChangeSchema = memberTargetSchema.extend({
  role: z.enum(memberRoles, { error: "Choose a role." }),
});

export const inviteTargetSchema = z.object({ inviteId: z.uuid() });

/** An invite link's token: 128 random bits as 32 hex digits. */
export const inviteTokenSchema = z.string().regex(/^[0-9a-f]{32}$/);

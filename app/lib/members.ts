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
 * The roles an invite or a role change may give today. Players and viewers need the
 * secrets-by-audience layer (ADR 0026, building order step 2) before they can see
 * anything, so until it lands the only role anyone can be given is co-GM.
 */
export const grantableRoles = ["co-gm"] as const satisfies readonly MemberRole[];

/** How long an invite link works. */
export const inviteLifetimes = { "1": "1 day", "7": "7 days", "30": "30 days" } as const;
/** How many people one link lets in; "" is no limit until it expires. */
export const inviteUseLimits = { "1": "One person", "5": "Up to 5 people", "": "Anyone with the link" } as const;

export const MAX_MEMBERS = 50;
export const MAX_OPEN_INVITES = 20;

export const inviteSchema = z.object({
  role: z.enum(grantableRoles, { error: "Choose a role for the people you invite." }),
  lifetimeDays: z.enum(["1", "7", "30"], { error: "Choose how long the link works." }),
  maxUses: z.enum(["1", "5", ""]).default(""),
});

export const memberTargetSchema = z.object({
  accountId: z.string({ error: "Choose a member." }).min(1).max(64),
});

export const roleChangeSchema = memberTargetSchema.extend({
  role: z.enum(grantableRoles, { error: "Choose a role." }),
});

/** An invite link's token: 128 random bits as 32 hex digits. */
export const inviteTokenSchema = z.string().regex(/^[0-9a-f]{32}$/);

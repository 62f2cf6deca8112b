import { z } from "zod";

/**
 * The public API's contracts shared with the browser (Settings, the reference page): what a
 * token may be allowed to do, how long it lives, and the webhook events (ADR 0032).
 */

/** What a token may do; each /api/v1 operation names the one it needs. */
export const apiScopes = ["read", "write", "files", "assistant"] as const;
export type ApiScope = (typeof apiScopes)[number];

export const apiScopeLabels: Record<ApiScope, string> = {
  read: "Read campaigns, entries, characters, file details, jobs and search",
  write: "Create, change and delete campaigns, entries and characters",
  files: "Upload, download and delete library files",
  assistant: "Ask the assistant and read its conversations",
};

/** How long a new token lives, in days. */
export const tokenLifetimes = [7, 30, 90, 365] as const;

export const MAX_TOKENS_PER_ACCOUNT = 25;
export const MAX_WEBHOOKS_PER_ACCOUNT = 10;

export const tokenFormSchema = z.object({
  name: z
    .string({ error: "Name the token after what will use it, like “Discord bot”." })
    .trim()
    .min(1, "Name the token after what will use it, like “Discord bot”.")
    .max(60, "Keep the name under 60 characters."),
  scopes: z
    .array(z.enum(apiScopes), { error: "Choose at least one thing the token may do." })
    .min(1, "Choose at least one thing the token may do.")
    .max(apiScopes.length),
  /** Empty: every campaign the account may open. */
  campaignId: z.uuid("Choose a campaign from the list.").optional(),
  days: z.coerce
    .number({ error: "Choose how long the token lasts." })
    .refine((days) => (tokenLifetimes as readonly number[]).includes(days), "Choose how long the token lasts."),
});

/** What a webhook endpoint can be told of. `webhook.test` is sent only on request. */
export const webhookEvents = [
  "campaign.created",
  "campaign.updated",
  "campaign.deleted",
  "entry.created",
  "entry.updated",
  "entry.deleted",
  "character.created",
  "character.updated",
  "character.deleted",
  "file.ready",
  "file.failed",
] as const;
export type WebhookEvent = (typeof webhookEvents)[number] | "webhook.test";

export const webhookFormSchema = z.object({
  url: z
    .string({ error: "Enter the address that receives the events." })
    .trim()
    .min(1, "Enter the address that receives the events.")
    .max(2_000, "That address is too long.")
    .pipe(z.url({ error: "Enter a full address, like https://example.com/loresmith." })),
  events: z
    .array(z.enum(webhookEvents), { error: "Choose at least one event." })
    .min(1, "Choose at least one event.")
    .max(webhookEvents.length),
});

export const deliveryStatuses = ["pending", "retrying", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** What each event tells a receiver, for the Settings checkboxes. */
export const webhookEventLabels: Record<WebhookEvent, string> = {
  "campaign.created": "A campaign is created",
  "campaign.updated": "A campaign is changed",
  "campaign.deleted": "A campaign is deleted",
  "entry.created": "A context entry is added",
  "entry.updated": "A context entry is changed",
  "entry.deleted": "A context entry is deleted",
  "character.created": "A character is added",
  "character.updated": "A character is changed",
  "character.deleted": "A character is deleted",
  "file.ready": "A file is ready to search",
  "file.failed": "A file could not be read",
  "webhook.test": "A test event (sent from Settings)",
};

export const deliveryStatusLabels: Record<DeliveryStatus, string> = {
  pending: "Waiting to send",
  retrying: "Retrying",
  delivered: "Delivered",
  failed: "Failed",
};

/** The ids the Settings forms post back, checked by shape before anything looks them up. */
export const tokenTargetSchema = z.object({ tokenId: z.string().regex(/^tok_[0-9a-f]{24}$/) });
export const endpointTargetSchema = z.object({ endpointId: z.string().regex(/^wh_[0-9a-f]{24}$/) });
export const deliveryTargetSchema = endpointTargetSchema.extend({
  eventId: z.string().regex(/^evt_[0-9a-f]{24}$/),
});

import { z } from "zod";
import {
  campaignSchema,
  campaignUpdateSchema,
  characterSchema,
  characterUpdateSchema,
  contextEntrySchema,
  contextEntryUpdateSchema,
} from "~/lib/campaign-schemas";
import { characterTypes, contextTypes } from "~/lib/domain";
import { createCampaign, deleteCampaign, listCampaignsPage, updateCampaign } from "../../campaigns/campaigns.server";
import {
  type Character,
  createCharacter,
  deleteCharacter,
  getCharacter,
  listCharactersPage,
  updateCharacter,
} from "../../campaigns/characters.server";
import {
  createContextEntry,
  deleteContextEntry,
  getContextEntry,
  listContextEntriesPage,
  updateContextEntry,
} from "../../campaigns/context-entries.server";
import { VersionConflictError } from "../../campaigns/errors.server";
import { type CampaignAccess, type CampaignAction, campaignAccess, can } from "../../campaigns/policy.server";
import { readableCampaignFileKeys } from "../../campaigns/resources.server";
import { withoutSecrets } from "../../campaigns/secrets.server";
import type { Db } from "../../db/db.server";
import { notFound } from "../../http/responses.server";
import { announce, announced, campaignWide } from "../../live/campaign-room.server";
import type { TokenCaller } from "../tokens.server";
import { apiError, apiErrorSchema } from "./errors.server";
import { type ApiHandlerContext, campaignIdParam, operation, rowIdParam } from "./operation.server";
import { decodeCursor, page, pageQuerySchema, pageSchema } from "./pagination.server";
import {
  campaignJson,
  characterJson,
  entryJson,
  toCampaignJson,
  toCharacterJson,
  toEntryJson,
} from "./resources.server";

/** Campaigns, their lore and context entries, and their characters, under the pages' policy. */

const errors = {
  404: { description: "No such campaign (or entry, or character) that this token may see.", schema: apiErrorSchema },
};

/**
 * The campaign, if the token may reach it and the policy lets its account do `action`:
 * anything else — another's campaign, one outside the token's campaign limit, an action
 * the role may not take — is the same 404 the pages answer.
 */
export async function campaignFor(
  { caller, services }: Pick<ApiHandlerContext<unknown, unknown, unknown>, "caller" | "services">,
  campaignId: string,
  action: CampaignAction,
): Promise<CampaignAccess> {
  if (caller.token.campaignId && caller.token.campaignId !== campaignId) notFound("campaign");
  const access = await campaignAccess(services.db, caller.user, campaignId);
  if (!access || !can(access.role, "view") || !can(access.role, action)) notFound("campaign");
  return access;
}

/** The characters as JSON, each sheet shown only to a reader who may open it (as the character page links it). */
async function charactersJson(db: Db, access: CampaignAccess, characters: Character[]) {
  const keys = characters.flatMap((c) => (c.sheetFileKey ? [c.sheetFileKey] : []));
  const readable = can(access.role, "seeSecrets") ? new Set(keys) : await readableCampaignFileKeys(db, access, keys);
  return characters.map((c) =>
    toCharacterJson(c, c.sheetFileKey && readable.has(c.sheetFileKey) ? c.sheetFileKey : null),
  );
}

async function characterJsonFor(db: Db, access: CampaignAccess, character: Character) {
  const [json] = await charactersJson(db, access, [character]);
  return json ?? notFound("character");
}

function readableDescription(access: CampaignAccess): string {
  return can(access.role, "seeSecrets") ? access.campaign.description : withoutSecrets(access.campaign.description);
}

function conflict(current: { version: number }, what: string): Response {
  return apiError(
    409,
    "version_conflict",
    `This ${what} changed since the version you sent (it is at version ${current.version} now). Fetch it again, reapply your change, and send the new version.`,
  );
}

const campaignParams = z.object({ campaignId: campaignIdParam });
const entryParams = campaignParams.extend({ entryId: rowIdParam });
const characterParams = campaignParams.extend({ characterId: rowIdParam });

const ownCampaign = (caller: TokenCaller) => ({ id: caller.user.id, username: caller.user.username });

/**
 * An API body may send tags and aliases as the arrays the API answers with, or as the
 * forms' comma-separated text: either reads through the same field (and its bounds).
 */
function listsAsArrays<S extends z.ZodObject>(schema: S) {
  const asText = (field: z.ZodType<unknown, string | undefined>) =>
    z
      .union([z.array(z.string().max(120)).max(100), z.string()])
      .optional()
      .transform((value) => (Array.isArray(value) ? value.join(",") : value))
      .pipe(field);
  const shape = schema.shape as Record<string, z.ZodType<unknown, string | undefined>>;
  return schema.extend({
    ...(shape.tags ? { tags: asText(shape.tags) } : {}),
    ...(shape.aliases ? { aliases: asText(shape.aliases) } : {}),
  }) as unknown as S;
}

export const campaignOperations = [
  operation({
    id: "listCampaigns",
    method: "GET",
    path: "/campaigns",
    tag: "Campaigns",
    summary: "List the campaigns you run or play in",
    description: "A token limited to one campaign lists only that one.",
    scope: "read",
    query: pageQuerySchema,
    responses: { 200: { description: "A page of campaigns.", schema: pageSchema(campaignJson) } },
    async handle({ caller, services, query }) {
      const after = decodeCursor(query.cursor);
      const rows = await listCampaignsPage(services.db, ownCampaign(caller), {
        after: after ? [after[0], String(after[1])] : null,
        limit: query.limit,
        campaignId: caller.token.campaignId,
      });
      const result = page(rows, query.limit, (row) => [row.campaign.createdAt, row.campaign.id]);
      return {
        ...result,
        data: result.data.map(({ campaign, role }) =>
          toCampaignJson(
            campaign,
            role,
            can(role, "seeSecrets") ? campaign.description : withoutSecrets(campaign.description),
          ),
        ),
      };
    },
  }),
  operation({
    id: "createCampaign",
    method: "POST",
    path: "/campaigns",
    tag: "Campaigns",
    summary: "Create a campaign",
    scope: "write",
    limit: "write",
    library: true,
    body: listsAsArrays(campaignSchema),
    responses: { 201: { description: "The new campaign.", schema: campaignJson } },
    async handle({ caller, services, body }) {
      const campaign = await createCampaign(services.db, caller.user.username, body, services.limits.rows.campaigns);
      return Response.json(toCampaignJson(campaign, "owner", campaign.description), { status: 201 });
    },
  }),
  operation({
    id: "getCampaign",
    method: "GET",
    path: "/campaigns/{campaignId}",
    tag: "Campaigns",
    summary: "Get a campaign",
    scope: "read",
    params: campaignParams,
    responses: { 200: { description: "The campaign.", schema: campaignJson }, ...errors },
    async handle(context) {
      const access = await campaignFor(context, context.params.campaignId, "view");
      return toCampaignJson(access.campaign, access.role, readableDescription(access));
    },
  }),
  operation({
    id: "updateCampaign",
    method: "PUT",
    path: "/campaigns/{campaignId}",
    tag: "Campaigns",
    summary: "Replace a campaign's details",
    description: "Send every field and the `version` you read; a newer version answers 409 version_conflict.",
    scope: "write",
    limit: "write",
    params: campaignParams,
    body: campaignUpdateSchema,
    responses: {
      200: { description: "The saved campaign.", schema: campaignJson },
      409: { description: "It changed since `version`.", schema: apiErrorSchema },
      ...errors,
    },
    async handle(context) {
      const { services, params, body } = context;
      const access = await campaignFor(context, params.campaignId, "editCampaign");
      const { version, ...input } = body;
      try {
        const saved = await updateCampaign(services.db, access.campaign.username, access.campaign.id, version, input);
        if (!saved) notFound("campaign");
        await announce(services, access, campaignWide(access, "campaign"));
        return toCampaignJson(saved, access.role, saved.description);
      } catch (error) {
        if (error instanceof VersionConflictError) return conflict(error.current as { version: number }, "campaign");
        throw error;
      }
    },
  }),
  operation({
    id: "deleteCampaign",
    method: "DELETE",
    path: "/campaigns/{campaignId}",
    tag: "Campaigns",
    summary: "Delete a campaign and everything in it",
    description: "Its entries, characters and conversations go with it; library files stay in the library.",
    scope: "write",
    limit: "write",
    params: campaignParams,
    responses: { 204: { description: "Deleted." }, ...errors },
    async handle(context) {
      const access = await campaignFor(context, context.params.campaignId, "deleteCampaign");
      const deleted = await deleteCampaign(context.services.db, access.campaign.username, access.campaign.id);
      if (!deleted) notFound("campaign");
      return new Response(null, { status: 204 });
    },
  }),

  operation({
    id: "listEntries",
    method: "GET",
    path: "/campaigns/{campaignId}/entries",
    tag: "Entries",
    summary: "List a campaign's lore and context entries",
    description: "Players and viewers see only what is shared with them, without secret blocks.",
    scope: "read",
    params: campaignParams,
    query: pageQuerySchema.extend({ type: z.enum(contextTypes).optional() }),
    responses: { 200: { description: "A page of entries.", schema: pageSchema(entryJson) }, ...errors },
    async handle(context) {
      const { services, params, query } = context;
      const access = await campaignFor(context, params.campaignId, "view");
      const after = decodeCursor(query.cursor);
      const rows = await listContextEntriesPage(services.db, access, {
        afterId: after ? Number(after[1]) : 0,
        limit: query.limit,
        type: query.type,
      });
      const result = page(rows, query.limit, (row) => [row.createdAt, row.id]);
      return { ...result, data: result.data.map(toEntryJson) };
    },
  }),
  operation({
    id: "createEntry",
    method: "POST",
    path: "/campaigns/{campaignId}/entries",
    tag: "Entries",
    summary: "Add an entry",
    scope: "write",
    limit: "write",
    params: campaignParams,
    body: listsAsArrays(contextEntrySchema),
    responses: { 201: { description: "The new entry.", schema: entryJson }, ...errors },
    async handle(context) {
      const { services, params, body } = context;
      const access = await campaignFor(context, params.campaignId, "editMaterial");
      const entry = await createContextEntry(services.db, access.campaign, body, services.limits.rows.entries);
      await announce(services, access, { kind: "entry", id: String(entry.id) });
      return Response.json(toEntryJson({ ...entry, tagList: body.tags }), { status: 201 });
    },
  }),
  operation({
    id: "getEntry",
    method: "GET",
    path: "/campaigns/{campaignId}/entries/{entryId}",
    tag: "Entries",
    summary: "Get an entry",
    scope: "read",
    params: entryParams,
    responses: { 200: { description: "The entry.", schema: entryJson }, ...errors },
    async handle(context) {
      const access = await campaignFor(context, context.params.campaignId, "view");
      const entry = await getContextEntry(context.services.db, access, context.params.entryId);
      if (!entry) notFound("entry");
      return toEntryJson(entry);
    },
  }),
  operation({
    id: "updateEntry",
    method: "PUT",
    path: "/campaigns/{campaignId}/entries/{entryId}",
    tag: "Entries",
    summary: "Replace an entry",
    description: "Send every field and the `version` you read; a newer version answers 409 version_conflict.",
    scope: "write",
    limit: "write",
    params: entryParams,
    body: listsAsArrays(contextEntryUpdateSchema),
    responses: {
      200: { description: "The saved entry.", schema: entryJson },
      409: { description: "It changed since `version`.", schema: apiErrorSchema },
      ...errors,
    },
    async handle(context) {
      const { services, params, body } = context;
      const access = await campaignFor(context, params.campaignId, "editMaterial");
      const { version, ...input } = body;
      try {
        const saved = await announced(services, access, { kind: "entry", id: String(params.entryId) }, () =>
          updateContextEntry(services.db, access.campaign, params.entryId, version, input),
        );
        if (!saved) notFound("entry");
        return toEntryJson({ ...saved, tagList: input.tags });
      } catch (error) {
        if (error instanceof VersionConflictError) return conflict(error.current as { version: number }, "entry");
        throw error;
      }
    },
  }),
  operation({
    id: "deleteEntry",
    method: "DELETE",
    path: "/campaigns/{campaignId}/entries/{entryId}",
    tag: "Entries",
    summary: "Delete an entry",
    scope: "write",
    limit: "write",
    params: entryParams,
    responses: { 204: { description: "Deleted." }, ...errors },
    async handle(context) {
      const { services, params } = context;
      const access = await campaignFor(context, params.campaignId, "editMaterial");
      const deleted = await announced(services, access, { kind: "entry", id: String(params.entryId) }, () =>
        deleteContextEntry(services.db, access.campaign, params.entryId),
      );
      if (!deleted) notFound("entry");
      return new Response(null, { status: 204 });
    },
  }),

  operation({
    id: "listCharacters",
    method: "GET",
    path: "/campaigns/{campaignId}/characters",
    tag: "Characters",
    summary: "List a campaign's characters (PCs and NPCs)",
    scope: "read",
    params: campaignParams,
    query: pageQuerySchema.extend({ type: z.enum(characterTypes).optional() }),
    responses: { 200: { description: "A page of characters.", schema: pageSchema(characterJson) }, ...errors },
    async handle(context) {
      const { services, params, query } = context;
      const access = await campaignFor(context, params.campaignId, "view");
      const after = decodeCursor(query.cursor);
      const rows = await listCharactersPage(services.db, access, {
        afterId: after ? Number(after[1]) : 0,
        limit: query.limit,
        kind: query.type,
      });
      const result = page(rows, query.limit, (row) => [row.createdAt, row.id]);
      return { ...result, data: await charactersJson(services.db, access, result.data) };
    },
  }),
  operation({
    id: "createCharacter",
    method: "POST",
    path: "/campaigns/{campaignId}/characters",
    tag: "Characters",
    summary: "Add a character",
    scope: "write",
    limit: "write",
    params: campaignParams,
    body: listsAsArrays(characterSchema),
    responses: { 201: { description: "The new character.", schema: characterJson }, ...errors },
    async handle(context) {
      const { services, params, body } = context;
      const access = await campaignFor(context, params.campaignId, "editMaterial");
      const character = await createCharacter(
        services.db,
        access.campaign,
        body,
        services.limits.rows.characters,
        access,
      );
      await announce(services, access, { kind: "character", id: String(character.id) });
      return Response.json(await characterJsonFor(services.db, access, character), { status: 201 });
    },
  }),
  operation({
    id: "getCharacter",
    method: "GET",
    path: "/campaigns/{campaignId}/characters/{characterId}",
    tag: "Characters",
    summary: "Get a character",
    scope: "read",
    params: characterParams,
    responses: { 200: { description: "The character.", schema: characterJson }, ...errors },
    async handle(context) {
      const access = await campaignFor(context, context.params.campaignId, "view");
      const character = await getCharacter(context.services.db, access, context.params.characterId);
      if (!character) notFound("character");
      return characterJsonFor(context.services.db, access, character);
    },
  }),
  operation({
    id: "updateCharacter",
    method: "PUT",
    path: "/campaigns/{campaignId}/characters/{characterId}",
    tag: "Characters",
    summary: "Replace a character",
    description: "Send every field and the `version` you read; a newer version answers 409 version_conflict.",
    scope: "write",
    limit: "write",
    params: characterParams,
    body: listsAsArrays(characterUpdateSchema),
    responses: {
      200: { description: "The saved character.", schema: characterJson },
      409: { description: "It changed since `version`.", schema: apiErrorSchema },
      ...errors,
    },
    async handle(context) {
      const { services, params, body } = context;
      const access = await campaignFor(context, params.campaignId, "editMaterial");
      const { version, ...input } = body;
      try {
        const saved = await announced(services, access, { kind: "character", id: String(params.characterId) }, () =>
          updateCharacter(services.db, access.campaign, params.characterId, version, input, access),
        );
        if (!saved) notFound("character");
        return characterJsonFor(services.db, access, saved);
      } catch (error) {
        if (error instanceof VersionConflictError) return conflict(error.current as { version: number }, "character");
        throw error;
      }
    },
  }),
  operation({
    id: "deleteCharacter",
    method: "DELETE",
    path: "/campaigns/{campaignId}/characters/{characterId}",
    tag: "Characters",
    summary: "Delete a character",
    scope: "write",
    limit: "write",
    params: characterParams,
    responses: { 204: { description: "Deleted." }, ...errors },
    async handle(context) {
      const { services, params } = context;
      const access = await campaignFor(context, params.campaignId, "editMaterial");
      const deleted = await announced(services, access, { kind: "character", id: String(params.characterId) }, () =>
        deleteCharacter(services.db, access.campaign, params.characterId),
      );
      if (!deleted) notFound("character");
      return new Response(null, { status: 204 });
    },
  }),
];

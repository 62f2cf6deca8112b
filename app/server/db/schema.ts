/**
 * The whole LoreSmith data model (D1 / SQLite), one file.
 *
 * Conventions:
 * - Times are integer milliseconds since the epoch (`*_at`).
 * - Rows a person edits carry `version` for optimistic concurrency: an update names the
 *   version it started from and is refused when the row moved on.
 * - JSON columns hold structured extras that are never queried by SQL.
 * - Every row hangs off `users.username` directly or through a parent, with ON DELETE
 *   CASCADE, so deleting an account or a campaign removes everything below it in D1.
 *   (R2 objects, the passages and vectors in each account's UserFileTracker, and KV
 *   entries are removed by the services; D1 cannot reach them.)
 * - Tables indexed by FTS5 (context, characters) have an INTEGER PRIMARY KEY
 *   (a stable rowid) because external-content FTS5 tables join on rowid; the FTS tables
 *   and their triggers live in a hand-written migration (migrations/0001_fts.sql).
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { type ApiScope, type DeliveryStatus, deliveryStatuses, type WebhookEvent } from "../../lib/api";
import { campaignStatuses, characterStatuses, characterTypes, contextTypes } from "../../lib/domain";
import { contentEncodings } from "../../lib/file-kinds";
import { fileStatuses } from "../../lib/jobs";
import { audiences, memberRoles, type PlayerEditableField, revealSubjects } from "../../lib/members";
import { proposalKinds, proposalStatuses } from "../../lib/proposals";
import { RELATION_LABEL_MAX, RELATION_NOTE_MAX, relationEndKinds, relationTypes } from "../../lib/relations";

/** `column IN ('a','b')` as a CHECK, so bad values cannot reach D1 even past the zod layer. */
const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`${column} IN (${values.map((v) => `'${v}'`).join(", ")})`);

const nowMs = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

const createdAt = () => integer("created_at", { mode: "number" }).notNull().default(nowMs);
const updatedAt = () => integer("updated_at", { mode: "number" }).notNull().default(nowMs);
const rowVersion = () => integer("version", { mode: "number" }).notNull().default(1);

export const users = sqliteTable(
  "users",
  {
    /**
     * The account's identity: random, immutable, never reused. Sessions, devices, the
     * user's R2 prefix, Durable Object and vector namespace key on it, so a username freed
     * by a deleted account opens nothing of it. Accounts made before it existed keep
     * their username as id (migration 0005); new ids are longer than any username.
     */
    id: text("id").notNull().unique("users_id_idx").$defaultFn(newAccountId),
    /** Immutable, case-folded, 3–32 of [a-z0-9_-]; D1 rows key on it (and cascade from it). */
    username: text("username").primaryKey(),
    passwordHash: text("password_hash").notNull(),
    /**
     * Bumped (by the triggers of migration 0016) by every write to what the account's
     * cached read models show: its files, versions, attachments, campaigns and
     * memberships. Part of those models' KV keys (app/server/cache, ADR 0029).
     */
    cacheGeneration: integer("cache_generation", { mode: "number" }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  () => [
    check("users_username_check", sql.raw("length(username) BETWEEN 3 AND 32 AND username NOT GLOB '*[^a-z0-9_-]*'")),
  ],
);

/** "u_" and 32 hex digits: 34 characters, so never equal to a (legacy) username. */
export function newAccountId(): string {
  return `u_${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * Signed-in devices: one row per session, the source of truth for "signed in". The KV
 * session holds only the id of its row; deleting the row (sign-out elsewhere, password
 * change, account deletion by cascade) ends the session at once, in every location.
 */
export const userDevices = sqliteTable(
  "user_devices",
  {
    /** 256 random bits, hex. */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    remember: integer("remember", { mode: "boolean" }).notNull().default(false),
    /** The browser's User-Agent at sign-in (bounded), to name the device in Settings. */
    userAgent: text("user_agent").notNull().default(""),
    createdAt: createdAt(),
    lastSeenAt: integer("last_seen_at", { mode: "number" }).notNull(),
    /** Absolute end of the session, however active it is. */
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
  },
  (t) => [index("user_devices_user_idx").on(t.userId, t.lastSeenAt)],
);

/**
 * Accounts deleted from D1 whose storage elsewhere (R2 objects, cache entries, the
 * Durable Object) is still being removed: the account disappears at once, in one D1
 * transaction, and whatever a crash interrupts is finished by the sweep (cron).
 */
export const deletedAccounts = sqliteTable("deleted_accounts", {
  /** The deleted account's id (never reused): its R2 prefix, tracker and cache keys. */
  id: text("id").primaryKey(),
  username: text("username").notNull(),
  deletedAt: integer("deleted_at", { mode: "number" }).notNull(),
});

/** One-time recovery codes (SHA-256 of an 80-bit code), shown once; a used code is deleted. */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/**
 * Password-check counters, one row per throttle key ("user:{name}", "client:{ip}",
 * "device:{nonce}"): attempts within the window, counted before the check (ADR 0017).
 */
export const loginThrottle = sqliteTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures", { mode: "number" }).notNull().default(0),
  lockedUntil: integer("locked_until", { mode: "number" }).notNull().default(0),
  updatedAt: updatedAt(),
});

export const campaigns = sqliteTable(
  "campaigns",
  {
    id: text("id").primaryKey(),
    username: text("username")
      .notNull()
      .references(() => users.username, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Markdown. */
    description: text("description").notNull().default(""),
    status: text("status", { enum: campaignStatuses }).notNull().default("planning"),
    /** { system, setting, nextSessionAt, tags } */
    metadata: text("metadata", { mode: "json" }).$type<CampaignMetadata>().notNull().default({}),
    version: rowVersion(),
    /**
     * Bumped (by the triggers of migration 0016) by every write to the campaign or to
     * what its pages show: entries, characters, attachments, reveals, members. Part of its
     * cached read models' KV keys (app/server/cache, ADR 0029).
     */
    cacheGeneration: integer("cache_generation", { mode: "number" }).notNull().default(0),
    createdAt: createdAt(),
    /** Moves with every write inside the campaign too (touchCampaign): its list sorts by it. */
    updatedAt: updatedAt(),
    /**
     * When the campaign's own fields (name, description, status, metadata) were last edited,
     * null if never since it was created: the campaign's row in recent changes, which an
     * entry or character edit must not move.
     */
    editedAt: integer("edited_at", { mode: "number" }),
    /** The sample campaign (app/server/sample): at most one per account, removed in one click. */
    sample: integer("sample", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    index("campaigns_username_updated_idx").on(t.username, t.updatedAt),
    // One sample per account however many times "Add" is pressed at once.
    uniqueIndex("campaigns_one_sample_idx").on(t.username).where(sql`${t.sample} = 1`),
    index("campaigns_username_status_idx").on(t.username, t.status),
    check("campaigns_status_check", oneOf("status", campaignStatuses)),
  ],
);

export interface CampaignMetadata {
  system?: string;
  setting?: string;
  nextSessionAt?: string;
  tags?: string[];
}

/**
 * Who may read a row of campaign material (ADR 0026): `audience` is the GMs only (the
 * default) or the whole campaign; `audience_tokens` says the same to FTS5, whose MATCH
 * for a player names the tokens they hold (query.server.ts, audienceToken), so a hidden
 * row is never scored, counted or echoed in a snippet.
 */
const audienceColumns = () => ({
  audience: text("audience", { enum: audiences }).notNull().default("gm"),
  audienceTokens: text("audience_tokens").notNull().default("zgm0"),
});

/**
 * Other names a row answers to in `[[links]]` (ADR 0035), a JSON array of strings; the
 * triggers of migration 0018 keep campaign_link_names in step with it and the title.
 */
const aliasesColumn = () => text("aliases", { mode: "json" }).$type<string[]>().notNull().default([]);

export const campaignContext = sqliteTable(
  "campaign_context",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    /** The campaign as one FTS5 token, so a search matches inside the index only the campaigns asked for. */
    campaignToken: text("campaign_token").generatedAlwaysAs(sql`'c' || hex(campaign_id) || '0'`, { mode: "virtual" }),
    contextType: text("context_type", { enum: contextTypes }).notNull().default("lore"),
    title: text("title").notNull(),
    /** Markdown. */
    content: text("content").notNull().default(""),
    /** `content` without its secret blocks (secrets.server.ts): what players read, and their search. */
    contentPublic: text("content_public").notNull().default(""),
    /** Space-joined tags, searchable by FTS; the array lives in metadata. */
    tags: text("tags").notNull().default(""),
    aliases: aliasesColumn(),
    ...audienceColumns(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    version: rowVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("campaign_context_campaign_type_idx").on(t.campaignId, t.contextType),
    index("campaign_context_campaign_updated_idx").on(t.campaignId, t.updatedAt),
    check("campaign_context_type_check", oneOf("context_type", contextTypes)),
    check("campaign_context_audience_check", oneOf("audience", audiences)),
  ],
);

export const campaignCharacters = sqliteTable(
  "campaign_characters",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    /** The campaign as one FTS5 token, so a search matches inside the index only the campaigns asked for. */
    campaignToken: text("campaign_token").generatedAlwaysAs(sql`'c' || hex(campaign_id) || '0'`, { mode: "virtual" }),
    characterName: text("character_name").notNull(),
    characterType: text("character_type", { enum: characterTypes }).notNull().default("npc"),
    aliases: aliasesColumn(),
    status: text("status", { enum: characterStatuses }).notNull().default("alive"),
    /** Markdown. */
    backstory: text("backstory").notNull().default(""),
    /** `backstory` without its secret blocks: what players read, and their search. */
    backstoryPublic: text("backstory_public").notNull().default(""),
    ...audienceColumns(),
    /** { playerName, ancestry, class, level, alignment, stats: [{key, value}] } */
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** Optional character sheet from the library. */
    sheetFileKey: text("sheet_file_key").references(() => fileMetadata.fileKey, { onDelete: "set null" }),
    /** The member who plays this character (a PC), by account id: they read it and edit `playerFields`. */
    playerId: text("player_id").references(() => users.id, { onDelete: "set null" }),
    /** What the GMs let that player change on it (playerEditableFields). */
    playerFields: text("player_fields", { mode: "json" }).$type<PlayerEditableField[]>().notNull().default([]),
    version: rowVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("campaign_characters_campaign_type_idx").on(t.campaignId, t.characterType, t.status),
    index("campaign_characters_campaign_updated_idx").on(t.campaignId, t.updatedAt),
    index("campaign_characters_sheet_idx").on(t.sheetFileKey),
    index("campaign_characters_player_idx").on(t.playerId),
    check("campaign_characters_type_check", oneOf("character_type", characterTypes)),
    check("campaign_characters_status_check", oneOf("status", characterStatuses)),
    check("campaign_characters_audience_check", oneOf("audience", audiences)),
  ],
);

/**
 * Every name a campaign's entries and characters answer to in `[[links]]` — each one's
 * title and aliases — written only by the triggers of migration 0018, so no write path
 * (a form, the API, an import) can leave a name behind. Links resolve through its
 * (campaign, name) index instead of reading every row of the campaign.
 */
export const campaignLinkNames = sqliteTable(
  "campaign_link_names",
  {
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    targetKind: text("target_kind", { enum: ["entry", "character"] }).notNull(),
    targetId: integer("target_id", { mode: "number" }).notNull(),
  },
  (t) => [
    index("campaign_link_names_name_idx").on(t.campaignId, sql`${t.name} COLLATE NOCASE`),
    index("campaign_link_names_target_idx").on(t.targetKind, t.targetId),
  ],
);

/** One row per library file; bytes live in R2 under the current version's key. */
export const fileMetadata = sqliteTable(
  "file_metadata",
  {
    fileKey: text("file_key").primaryKey(),
    username: text("username")
      .notNull()
      .references(() => users.username, { onDelete: "cascade" }),
    /** As the person named it (any Unicode); the R2 key uses a safe form. */
    fileName: text("file_name").notNull(),
    description: text("description").notNull().default(""),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    fileSize: integer("file_size", { mode: "number" }).notNull().default(0),
    contentType: text("content_type").notNull().default("application/octet-stream"),
    /** The current version's content hash; see fileVersions.contentHash. */
    contentHash: text("content_hash"),
    status: text("status", { enum: fileStatuses }).notNull().default("uploading"),
    currentVersion: integer("current_version", { mode: "number" }).notNull().default(1),
    pageCount: integer("page_count", { mode: "number" }),
    error: text("error"),
    /**
     * The sample campaign that uploaded this file, when one did: removing the sample deletes
     * only such files (never one the person uploaded, nor one they attached elsewhere since).
     */
    sampleCampaignId: text("sample_campaign_id"),
    version: rowVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("file_metadata_username_name_idx").on(t.username, t.fileName),
    index("file_metadata_username_updated_idx").on(t.username, t.updatedAt),
    check("file_metadata_status_check", oneOf("status", fileStatuses)),
  ],
);

export const fileVersions = sqliteTable(
  "file_versions",
  {
    fileKey: text("file_key")
      .notNull()
      .references(() => fileMetadata.fileKey, { onDelete: "cascade" }),
    versionNumber: integer("version_number", { mode: "number" }).notNull(),
    r2Key: text("r2_key").notNull(),
    fileSize: integer("file_size", { mode: "number" }).notNull(),
    contentType: text("content_type").notNull(),
    /**
     * Identifies the bytes, for refusing a duplicate: `md5-…` (R2's checksum of a single
     * upload), `parts-…` (SHA-256 over a multipart upload's part hashes), or a bare SHA-256
     * hex for uploads before migration 0007.
     */
    contentHash: text("content_hash"),
    /**
     * How the R2 object is stored (ADR 0028): "gzip" for a text file compressed on upload,
     * null for bytes stored exactly as uploaded. `fileSize` and `contentHash` always mean the
     * uploaded bytes, which is what downloads serve and the quota counts.
     */
    contentEncoding: text("content_encoding", { enum: contentEncodings }),
    /** Bytes of the R2 object (the compressed size for gzip); null only for rows stored before migration 0015 wrote it. */
    storedSize: integer("stored_size", { mode: "number" }),
    pageCount: integer("page_count", { mode: "number" }),
    status: text("status", { enum: fileStatuses }).notNull().default("uploaded"),
    error: text("error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.fileKey, t.versionNumber] }),
    index("file_versions_content_hash_idx").on(t.contentHash),
    // The storage audit asks which listed objects a version names.
    index("file_versions_r2_key_idx").on(t.r2Key),
  ],
);

/**
 * Uploads in flight: each reserves its bytes against the quota until it is recorded or
 * cancelled, and writes to an R2 key of its own. Multipart uploads also remember which
 * parts R2 confirmed, so an interrupted one resumes from its last part. The file (new, or
 * a new version of the same-named one) and its version number are decided at completion.
 */
export const fileUploads = sqliteTable(
  "file_uploads",
  {
    id: text("id").primaryKey(),
    username: text("username")
      .notNull()
      .references(() => users.username, { onDelete: "cascade" }),
    fileName: text("file_name").notNull(),
    r2Key: text("r2_key").notNull(),
    /** R2's multipart upload id; null for a single streamed request. */
    r2UploadId: text("r2_upload_id"),
    totalSize: integer("total_size", { mode: "number" }).notNull(),
    partSize: integer("part_size", { mode: "number" }).notNull().default(0),
    /** [{ partNumber, etag, sha256 }] of the parts R2 has confirmed. */
    parts: text("parts", { mode: "json" })
      .$type<{ partNumber: number; etag: string; sha256?: string }[]>()
      .notNull()
      .default([]),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("file_uploads_username_idx").on(t.username),
    index("file_uploads_name_idx").on(t.username, t.fileName),
    index("file_uploads_r2_key_idx").on(t.r2Key),
  ],
);

export const campaignResources = sqliteTable(
  "campaign_resources",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    fileKey: text("file_key")
      .notNull()
      .references(() => fileMetadata.fileKey, { onDelete: "cascade" }),
    /** Denormalised for lists; kept in step by the file service on rename. */
    fileName: text("file_name").notNull(),
    description: text("description").notNull().default(""),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    status: text("status").notNull().default("active"),
    /** Shared with the players, or kept for the GMs (the default). */
    audience: text("audience", { enum: audiences }).notNull().default("gm"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("campaign_resources_campaign_file_idx").on(t.campaignId, t.fileKey),
    index("campaign_resources_file_idx").on(t.fileKey),
    check("campaign_resources_audience_check", oneOf("audience", audiences)),
  ],
);

/**
 * Who else is in a campaign, and as what (ADR 0026). Keyed by the immutable account id,
 * so a username freed by a deleted account and taken again joins nothing. The owner is
 * `campaigns.username`, never a row here.
 */
export const campaignMembers = sqliteTable(
  "campaign_members",
  {
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    accountId: text("account_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: memberRoles }).notNull(),
    /** The account that let them in (the invite's creator, or the owner who changed hands). */
    addedBy: text("added_by").notNull(),
    /** When they joined. */
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.accountId] }),
    index("campaign_members_account_idx").on(t.accountId),
    check("campaign_members_role_check", oneOf("role", memberRoles)),
  ],
);

/**
 * Invite links. The link carries a random token; only its SHA-256 is kept. Joining bumps
 * `uses` in the same statement that checks it (members.server.ts), so a burst of joins
 * can never let in more than `max_uses`.
 */
export const campaignInvites = sqliteTable(
  "campaign_invites",
  {
    id: text("id").primaryKey(),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    role: text("role", { enum: memberRoles }).notNull(),
    /** null: anyone with the link until it expires. */
    maxUses: integer("max_uses", { mode: "number" }),
    uses: integer("uses", { mode: "number" }).notNull().default(0),
    /** The last join's one-time nonce: the membership insert of that join reads it back. */
    lastClaim: text("last_claim"),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    revokedAt: integer("revoked_at", { mode: "number" }),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("campaign_invites_token_idx").on(t.tokenHash),
    index("campaign_invites_campaign_idx").on(t.campaignId, t.expiresAt),
    check("campaign_invites_role_check", oneOf("role", memberRoles)),
  ],
);

/**
 * The campaign's knowledge ledger (ADR 0026): who learned what, when, and in which session.
 * A row reveals an entry, a character or an attached file to one member; sharing with
 * everyone is the subject's `audience`, and is recorded here too, with no member.
 */
export const campaignReveals = sqliteTable(
  "campaign_reveals",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    subjectKind: text("subject_kind", { enum: revealSubjects }).notNull(),
    /** The entry's or character's id, or the file's key. */
    subjectId: text("subject_id").notNull(),
    /** The member it was revealed to; null: everyone in the campaign. */
    toAccountId: text("to_account_id").references(() => users.id, { onDelete: "cascade" }),
    sessionLabel: text("session_label"),
    revealedBy: text("revealed_by").notNull(),
    revealedAt: integer("revealed_at", { mode: "number" }).notNull(),
  },
  (t) => [
    index("campaign_reveals_subject_idx").on(t.campaignId, t.subjectKind, t.subjectId, t.toAccountId),
    index("campaign_reveals_campaign_time_idx").on(t.campaignId, t.revealedAt),
    check("campaign_reveals_subject_check", oneOf("subject_kind", revealSubjects)),
  ],
);

/**
 * Typed relations between a campaign's entries and characters (ADR 0036), stored once from
 * one end to the other and shown on both. The ends are (kind, id) pairs, so no foreign key
 * reaches them: the insert checks both are the campaign's in its own statement, and the
 * triggers of migration 0018 delete an end's relations with it. A symmetric type (ally of)
 * is stored with its ends in (kind, id) order, so the unique index also refuses B–A after A–B.
 */
export const campaignRelations = sqliteTable(
  "campaign_relations",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    fromKind: text("from_kind", { enum: relationEndKinds }).notNull(),
    fromId: integer("from_id", { mode: "number" }).notNull(),
    toKind: text("to_kind", { enum: relationEndKinds }).notNull(),
    toId: integer("to_id", { mode: "number" }).notNull(),
    type: text("type", { enum: relationTypes }).notNull(),
    /** A custom relation's label read from its `from` end, and from its `to` end; empty for the built-in types. */
    label: text("label").notNull().default(""),
    inverseLabel: text("inverse_label").notNull().default(""),
    note: text("note").notNull().default(""),
    audience: text("audience", { enum: audiences }).notNull().default("gm"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("campaign_relations_unique_idx").on(
      t.campaignId,
      t.fromKind,
      t.fromId,
      t.toKind,
      t.toId,
      t.type,
      sql`lower(${t.label})`,
    ),
    index("campaign_relations_to_idx").on(t.campaignId, t.toKind, t.toId),
    check("campaign_relations_from_kind_check", oneOf("from_kind", relationEndKinds)),
    check("campaign_relations_to_kind_check", oneOf("to_kind", relationEndKinds)),
    check("campaign_relations_type_check", oneOf("type", relationTypes)),
    check("campaign_relations_audience_check", oneOf("audience", audiences)),
    check("campaign_relations_not_self_check", sql`NOT (from_kind = to_kind AND from_id = to_id)`),
    check(
      "campaign_relations_labels_check",
      sql.raw(`CASE WHEN type = 'custom'
        THEN length(label) BETWEEN 1 AND ${RELATION_LABEL_MAX} AND length(inverse_label) BETWEEN 1 AND ${RELATION_LABEL_MAX}
        ELSE label = '' AND inverse_label = '' END`),
    ),
    check("campaign_relations_note_check", sql.raw(`length(note) <= ${RELATION_NOTE_MAX}`)),
  ],
);

export const chatSessions = sqliteTable(
  "chat_sessions",
  {
    id: text("id").primaryKey(),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    username: text("username")
      .notNull()
      .references(() => users.username, { onDelete: "cascade" }),
    title: text("title").notNull().default("New conversation"),
    /** Its member shared it with the campaign's GMs, who may then read it (never write in it). */
    sharedWithGms: integer("shared_with_gms", { mode: "boolean" }).notNull().default(false),
    version: rowVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("chat_sessions_campaign_updated_idx").on(t.campaignId, t.updatedAt)],
);

/**
 * The campaign's session log (ADR 0026): short notes GMs and players add at the table,
 * which everyone with the campaign open sees appear. A GM may keep a note for the GMs.
 */
export const campaignLogNotes = sqliteTable(
  "campaign_log_notes",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    authorId: text("author_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    body: text("body").notNull(),
    audience: text("audience", { enum: audiences }).notNull().default("campaign"),
    createdAt: createdAt(),
  },
  (t) => [
    index("campaign_log_notes_campaign_idx").on(t.campaignId, t.id),
    check("campaign_log_notes_audience_check", oneOf("audience", audiences)),
    check("campaign_log_notes_body_check", sql`length(body) BETWEEN 1 AND 500`),
  ],
);

/**
 * A campaign's sessions (issue 16, ADR 0037): a number unique in the campaign, the day it
 * was played, who was there (the campaign's own player characters, checked in the write's
 * own statement, and free-text guests), the GMs' notes and a recap. The notes are the GMs'
 * alone; `audience` says who may see the session and its recap (the GMs only by default,
 * or everyone in the campaign). Both texts keep their public copy without secret blocks.
 */
export const campaignSessions = sqliteTable(
  "campaign_sessions",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    number: integer("number", { mode: "number" }).notNull(),
    /** "2026-12-05": the day it was played. */
    playedOn: text("played_on").notNull(),
    title: text("title").notNull().default(""),
    /** Ids of the campaign's player characters who were there (a deleted one simply no longer shows). */
    attendeeIds: text("attendee_ids", { mode: "json" }).$type<number[]>().notNull().default([]),
    /** Who else was there, as typed (a guest player, a drop-in). */
    guests: text("guests", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Markdown, the GMs' alone. */
    notes: text("notes").notNull().default(""),
    /** `notes` without secret blocks: what a draft for a shared recap is built from. */
    notesPublic: text("notes_public").notNull().default(""),
    /** Markdown: what happened, for whoever `audience` lets see the session. */
    recap: text("recap").notNull().default(""),
    /** `recap` without secret blocks: what players read. */
    recapPublic: text("recap_public").notNull().default(""),
    /** Who sees the session and its recap: the GMs only (the default) or everyone in the campaign. */
    audience: text("audience", { enum: audiences }).notNull().default("gm"),
    version: rowVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("campaign_sessions_campaign_number_idx").on(t.campaignId, t.number),
    index("campaign_sessions_campaign_played_idx").on(t.campaignId, t.playedOn),
    check("campaign_sessions_audience_check", oneOf("audience", audiences)),
    check("campaign_sessions_number_check", sql`number BETWEEN 1 AND 100000`),
    check("campaign_sessions_played_on_check", sql`played_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'`),
    check("campaign_sessions_title_check", sql`length(title) <= 120`),
    check("campaign_sessions_notes_check", sql`length(notes) <= 100000`),
    check("campaign_sessions_recap_check", sql`length(recap) <= 50000`),
  ],
);

/**
 * A member's own notes in a campaign (ADR 0026): private to their author until they share
 * one with the GMs, who may then read it. Nobody else ever sees them.
 */
export const memberNotes = sqliteTable(
  "member_notes",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    authorId: text("author_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    /** Markdown. */
    body: text("body").notNull().default(""),
    sharedWithGms: integer("shared_with_gms", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("member_notes_campaign_author_idx").on(t.campaignId, t.authorId, t.updatedAt),
    check("member_notes_title_check", sql`length(title) BETWEEN 1 AND 120`),
    check("member_notes_body_check", sql`length(body) <= 20000`),
  ],
);

export const chatMessages = sqliteTable(
  "chat_messages",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => chatSessions.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["user", "assistant"] }).notNull(),
    content: text("content").notNull(),
    /** [{ n, kind, fileKey?, page?, headingPath?, entryId?, title }] */
    citations: text("citations", { mode: "json" }).$type<unknown[]>().notNull().default([]),
    /** Which ChatModel answered: "workers-ai", "openai-compatible", "extractive". */
    provider: text("provider"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("chat_messages_session_created_idx").on(t.sessionId, t.createdAt)],
);

/**
 * Where the cron's bounded, resumable maintenance passes stopped (the storage audit's
 * R2 listing cursor, the last file version it checked): one row per pass.
 */
export const maintenanceCursors = sqliteTable("maintenance_cursors", {
  name: text("name").primaryKey(),
  /** Opaque to everyone but its pass; null: start again from the beginning. */
  cursor: text("cursor"),
  updatedAt: updatedAt(),
});

/**
 * API access tokens (ADR 0032): the JWT carries this row's id (`jti`), which every request
 * looks up, so deleting the row revokes the token at once. Deleted with the account (cascade)
 * and by a password change; a campaign-limited token goes with its campaign.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    /** "tok_" and 24 hex digits. */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<ApiScope[]>().notNull(),
    /** Only this campaign (null: every campaign the account may open, and the library). */
    campaignId: text("campaign_id").references(() => campaigns.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    /** Updated at most once a minute (ADR 0032). */
    lastUsedAt: integer("last_used_at", { mode: "number" }),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId, t.createdAt)],
);

/**
 * What an account used on one UTC day, against the daily quotas (DAILY_* vars): each is
 * counted by one conditional upsert, so two requests cannot both take the last unit.
 */
export const dailyUsage = sqliteTable(
  "daily_usage",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** "2026-12-03" (UTC). */
    day: text("day").notNull(),
    apiCalls: integer("api_calls", { mode: "number" }).notNull().default(0),
    questions: integer("questions", { mode: "number" }).notNull().default(0),
    uploadBytes: integer("upload_bytes", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day] })],
);

/** Where an account's webhook events are POSTed (ADR 0033). */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    /** "wh_" and 24 hex digits. */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<WebhookEvent[]>().notNull(),
    /** "whsec_" and base64: signs every delivery (shown once, when the endpoint is made). */
    secret: text("secret").notNull(),
    /** Dead deliveries in a row (every retry used up); a delivered one resets it. */
    consecutiveFailures: integer("consecutive_failures", { mode: "number" }).notNull().default(0),
    /** Set when it kept failing (or by its owner); nothing is delivered to it until it is enabled again. */
    disabledAt: integer("disabled_at", { mode: "number" }),
    disabledReason: text("disabled_reason"),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_endpoints_user_idx").on(t.userId)],
);

/**
 * Changes waiting to be fanned out to endpoints: written by triggers (migration 0017) in
 * the same statement as the change, so an event exists exactly when its change committed.
 * Drained after each write request, by the UserFileTracker and by the cron.
 */
export const webhookOutbox = sqliteTable("webhook_outbox", {
  seq: integer("seq", { mode: "number" }).primaryKey({ autoIncrement: true }),
  /** "evt_…": the deliveries' `webhook-id`. */
  id: text("id").notNull().unique("webhook_outbox_id_idx"),
  userId: text("user_id").notNull(),
  eventType: text("event_type").$type<WebhookEvent>().notNull(),
  /** The event's `data` (JSON). */
  data: text("data").notNull(),
  createdAt: createdAt(),
  /** A drain took it (another may take it again a minute later, if that one died). */
  claimedAt: integer("claimed_at", { mode: "number" }),
});

/** One event for one endpoint: what the queue consumer sends, retries and records. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventType: text("event_type").$type<WebhookEvent>().notNull(),
    /** The exact body sent (and signed), so every attempt sends the same bytes. */
    body: text("body").notNull(),
    status: text("status").$type<DeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts", { mode: "number" }).notNull().default(0),
    responseStatus: integer("response_status", { mode: "number" }),
    lastError: text("last_error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.endpointId] }),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt),
    index("webhook_deliveries_status_idx").on(t.status, t.updatedAt),
    check("webhook_deliveries_status_check", oneOf("status", deliveryStatuses)),
  ],
);

/**
 * What a campaign's file describes, proposed for review (ADR 0038): an NPC, monster, place,
 * item or faction, with the page (PDF) or heading (Markdown) it was found at. Nothing becomes
 * an entry or a character until a GM accepts or merges it; re-running a file adds only new
 * (kind, name) pairs, so a rejected one stays rejected and an accepted one keeps its target.
 */
export const campaignProposals = sqliteTable(
  "campaign_proposals",
  {
    id: integer("id", { mode: "number" }).primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    fileKey: text("file_key")
      .notNull()
      .references(() => fileMetadata.fileKey, { onDelete: "cascade" }),
    /** The file's version the proposal was read from. */
    fileVersion: integer("file_version", { mode: "number" }).notNull(),
    kind: text("kind", { enum: proposalKinds }).notNull(),
    name: text("name").notNull(),
    /** The name folded (lower case, single spaces): one proposal per (campaign, file, kind, name). */
    nameKey: text("name_key").notNull(),
    /** A short excerpt of the text it was found in (plain text). */
    excerpt: text("excerpt").notNull().default(""),
    /** 1-based PDF page; null for files without pages. */
    page: integer("page", { mode: "number" }),
    /** The heading path it was found under, joined with " › " ("" for none). */
    heading: text("heading").notNull().default(""),
    /** The passage it was found in (the reader's `#passage-N`). */
    passage: integer("passage", { mode: "number" }),
    /** How it was found: a stat block, a heading, a bold name, a table row, or the model. */
    origin: text("origin").notNull(),
    status: text("status", { enum: proposalStatuses }).notNull().default("pending"),
    /** What accepting created or merging appended to: an entry or a character, by id. */
    targetKind: text("target_kind", { enum: ["entry", "character"] }),
    targetId: integer("target_id", { mode: "number" }),
    /** The deciding request's one-time nonce: the statements after its claim read it back. */
    claim: text("claim"),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("campaign_proposals_name_idx").on(t.campaignId, t.fileKey, t.kind, t.nameKey),
    index("campaign_proposals_review_idx").on(t.campaignId, t.status, t.id),
    index("campaign_proposals_file_idx").on(t.fileKey),
    check("campaign_proposals_kind_check", oneOf("kind", proposalKinds)),
    check("campaign_proposals_status_check", oneOf("status", proposalStatuses)),
  ],
);

export type User = typeof users.$inferSelect;
export type Device = typeof userDevices.$inferSelect;
export type Campaign = typeof campaigns.$inferSelect;
export type CampaignMember = typeof campaignMembers.$inferSelect;
export type CampaignInvite = typeof campaignInvites.$inferSelect;
export type CampaignReveal = typeof campaignReveals.$inferSelect;
export type CampaignLogNote = typeof campaignLogNotes.$inferSelect;
export type MemberNote = typeof memberNotes.$inferSelect;
export type CampaignSession = typeof campaignSessions.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type CampaignProposal = typeof campaignProposals.$inferSelect;

import { index, layout, type RouteConfig, route } from "@react-router/dev/routes";

export default [
  index("routes/landing.tsx"),
  route("login", "routes/login.tsx"),
  route("signup", "routes/signup.tsx"),
  route("logout", "routes/logout.tsx"),
  route("recover", "routes/recover.tsx"),
  // The public API's reference, for anyone (read from the OpenAPI document).
  route("docs/api", "routes/api-reference.tsx"),
  // Everything below requires a signed-in user (guarded by the layout's middleware).
  layout("routes/app-layout.tsx", [
    route("home", "routes/home.tsx"),
    route("campaigns", "routes/campaigns/index.tsx"),
    route("campaigns/new", "routes/campaigns/new.tsx"),
    // An archive back in as a new campaign, or an Obsidian vault (ADR 0039).
    route("campaigns/import", "routes/campaigns/import.tsx"),
    // An invite link: shows the campaign and joins it (signing in or up first).
    route("join/:token", "routes/join.tsx"),
    // Everything inside a campaign: its middleware answers 404 unless the user is in it, and
    // each loader and action asks the policy (campaigns/policy.server.ts) what they may do.
    route("campaigns/:campaignId", "routes/campaigns/campaign.tsx", [
      index("routes/campaigns/overview.tsx"),
      route("edit", "routes/campaigns/edit.tsx"),
      route("files", "routes/campaigns/files.tsx"),
      route("files/:fileKey/read", "routes/campaigns/file-read.tsx"),
      // What the campaign's files describe, proposed for the GMs' review (ADR 0038).
      route("proposals", "routes/campaigns/proposals.tsx"),
      route("members", "routes/campaigns/members.tsx"),
      route("ledger", "routes/campaigns/ledger.tsx"),
      route("log", "routes/campaigns/log.tsx"),
      route("notes", "routes/campaigns/notes.tsx"),
      route("preview", "routes/campaigns/preview.ts"),
      route("context", "routes/campaigns/context/index.tsx"),
      route("context/new", "routes/campaigns/context/new.tsx"),
      route("context/:entryId", "routes/campaigns/context/entry.tsx"),
      route("context/:entryId/edit", "routes/campaigns/context/edit.tsx"),
      route("characters", "routes/campaigns/characters/index.tsx"),
      route("characters/new", "routes/campaigns/characters/new.tsx"),
      route("characters/:characterId", "routes/campaigns/characters/character.tsx"),
      route("characters/:characterId/edit", "routes/campaigns/characters/edit.tsx"),
      route("characters/:characterId/play", "routes/campaigns/characters/play.tsx"),
      route("sessions", "routes/campaigns/sessions/index.tsx"),
      route("sessions/new", "routes/campaigns/sessions/new.tsx"),
      route("sessions/:sessionId", "routes/campaigns/sessions/session.tsx"),
      route("sessions/:sessionId/edit", "routes/campaigns/sessions/edit.tsx"),
      route("relations", "routes/campaigns/relations.tsx"),
      route("assistant", "routes/campaigns/assistant/index.tsx"),
      route("assistant/:chatId", "routes/campaigns/assistant/chat.tsx"),
      route("export", "routes/campaigns/export.tsx"),
    ]),
    route("library", "routes/library/index.tsx"),
    // One file: each route's file middleware answers 404 unless the user owns it.
    route("library/:fileKey", "routes/library/file.tsx"),
    route("library/:fileKey/read", "routes/library/read.tsx"),
    route("search", "routes/search.tsx"),
    // The quick switcher (Ctrl/⌘-K) by name; without JavaScript, a page of its own.
    route("switch", "routes/switch.tsx"),
    route("assistant", "routes/assistant.tsx"),
    route("settings", "routes/settings.tsx"),
    route("settings/recovery-codes", "routes/recovery-codes.tsx"),
    route("settings/api", "routes/settings-api.tsx"),
    // Operators only (OPERATOR_USERNAMES); everyone else gets 404.
    route("operations", "routes/operations.tsx"),
  ]),
  // JSON endpoints: 401 when signed out (the layout's middleware), 404 for anything not the caller's.
  layout("routes/api/layout.ts", [
    route("api/campaigns/:campaignId", "routes/api/campaign.ts"),
    route("api/campaigns/:campaignId/live", "routes/api/campaign-live.ts"),
    route("api/campaigns/:campaignId/chats/:chatId/ask", "routes/api/ask.ts"),
    route("api/files", "routes/api/files.ts"),
    route("api/files/:fileKey/chunks", "routes/api/file-chunks.ts"),
    route("api/jobs", "routes/api/jobs.ts"),
    route("api/search", "routes/api/search.ts"),
    route("api/uploads", "routes/api/uploads.ts"),
    route("api/uploads/:uploadId", "routes/api/upload.ts"),
    route("api/uploads/:uploadId/parts/:partNumber", "routes/api/upload-part.ts"),
  ]),
  // The public API: bearer tokens only (never the cookie), its own error shape (ADR 0032).
  route("api/v1/*", "routes/api/v1.ts"),
  // Prometheus text, behind the METRICS_TOKEN secret.
  route("metrics", "routes/metrics.ts"),
  // File bytes, streamed from R2 with Range support (outside the layout: no HTML shell).
  route("files/:fileKey", "routes/library/download.ts"),
  route("campaigns/:campaignId/files/:fileKey/download", "routes/campaigns/file-download.ts"),
  // Archives, written while they are read (ADR 0039): a campaign as its caller sees it, or a whole account.
  route("campaigns/:campaignId/export/archive", "routes/campaigns/export-archive.ts"),
  route("settings/export", "routes/settings-export.ts"),
  route("*", "routes/not-found.tsx"),
] satisfies RouteConfig;

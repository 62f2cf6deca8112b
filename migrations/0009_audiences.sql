-- Secrets by audience (ADR 0026, step 2), written by hand: drizzle-kit would rebuild the
-- tables for their new CHECKs, which drops the FTS triggers.
--
-- Entries, characters and attached files get an audience: the GMs only (the default) or
-- the whole campaign. Everything that exists becomes GM-only, as it was: gm_only defaulted
-- to false, so a false was never a decision to show an entry to anyone, and nobody but the
-- owner could read a campaign before this. `*_public` is the Markdown without its secret
-- blocks (secrets.server.ts), written by the app on every save; rows that might hold a
-- secret fence start empty (fail closed) until their next save fills them.
ALTER TABLE `campaign_context` ADD COLUMN `content_public` text DEFAULT '' NOT NULL;
--> statement-breakpoint
ALTER TABLE `campaign_context` ADD COLUMN `audience` text DEFAULT 'gm' NOT NULL CHECK (audience IN ('gm', 'campaign'));
--> statement-breakpoint
ALTER TABLE `campaign_context` ADD COLUMN `audience_tokens` text DEFAULT 'zgm0' NOT NULL;
--> statement-breakpoint
UPDATE `campaign_context` SET `content_public` = CASE
  WHEN `content` LIKE '%```secret%' OR `content` LIKE '%~~~secret%' THEN '' ELSE `content` END;
--> statement-breakpoint
ALTER TABLE `campaign_context` DROP COLUMN `gm_only`;
--> statement-breakpoint
ALTER TABLE `campaign_characters` ADD COLUMN `backstory_public` text DEFAULT '' NOT NULL;
--> statement-breakpoint
ALTER TABLE `campaign_characters` ADD COLUMN `audience` text DEFAULT 'gm' NOT NULL CHECK (audience IN ('gm', 'campaign'));
--> statement-breakpoint
ALTER TABLE `campaign_characters` ADD COLUMN `audience_tokens` text DEFAULT 'zgm0' NOT NULL;
--> statement-breakpoint
UPDATE `campaign_characters` SET `backstory_public` = CASE
  WHEN `backstory` LIKE '%```secret%' OR `backstory` LIKE '%~~~secret%' THEN '' ELSE `backstory` END;
--> statement-breakpoint
ALTER TABLE `campaign_resources` ADD COLUMN `audience` text DEFAULT 'gm' NOT NULL CHECK (audience IN ('gm', 'campaign'));
--> statement-breakpoint
-- The FTS indexes carry the public text and the audience tokens beside the rest, so a
-- player's MATCH names only `content_public` and the tokens they hold.
DROP TRIGGER campaign_context_fts_ai;
--> statement-breakpoint
DROP TRIGGER campaign_context_fts_ad;
--> statement-breakpoint
DROP TRIGGER campaign_context_fts_au;
--> statement-breakpoint
DROP TABLE campaign_context_fts;
--> statement-breakpoint
CREATE VIRTUAL TABLE campaign_context_fts USING fts5(
  title,
  content,
  content_public,
  tags,
  campaign_token,
  audience_tokens,
  content='campaign_context',
  content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_ai AFTER INSERT ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(rowid, title, content, content_public, tags, campaign_token, audience_tokens)
    VALUES (new.id, new.title, new.content, new.content_public, new.tags, new.campaign_token, new.audience_tokens);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_ad AFTER DELETE ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(campaign_context_fts, rowid, title, content, content_public, tags, campaign_token, audience_tokens)
    VALUES ('delete', old.id, old.title, old.content, old.content_public, old.tags, old.campaign_token, old.audience_tokens);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_au AFTER UPDATE OF title, content, content_public, tags, audience_tokens ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(campaign_context_fts, rowid, title, content, content_public, tags, campaign_token, audience_tokens)
    VALUES ('delete', old.id, old.title, old.content, old.content_public, old.tags, old.campaign_token, old.audience_tokens);
  INSERT INTO campaign_context_fts(rowid, title, content, content_public, tags, campaign_token, audience_tokens)
    VALUES (new.id, new.title, new.content, new.content_public, new.tags, new.campaign_token, new.audience_tokens);
END;
--> statement-breakpoint
INSERT INTO campaign_context_fts(campaign_context_fts) VALUES ('rebuild');
--> statement-breakpoint
DROP TRIGGER campaign_characters_fts_ai;
--> statement-breakpoint
DROP TRIGGER campaign_characters_fts_ad;
--> statement-breakpoint
DROP TRIGGER campaign_characters_fts_au;
--> statement-breakpoint
DROP TABLE campaign_characters_fts;
--> statement-breakpoint
CREATE VIRTUAL TABLE campaign_characters_fts USING fts5(
  character_name,
  backstory,
  backstory_public,
  campaign_token,
  audience_tokens,
  content='campaign_characters',
  content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_ai AFTER INSERT ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(rowid, character_name, backstory, backstory_public, campaign_token, audience_tokens)
    VALUES (new.id, new.character_name, new.backstory, new.backstory_public, new.campaign_token, new.audience_tokens);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_ad AFTER DELETE ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(campaign_characters_fts, rowid, character_name, backstory, backstory_public, campaign_token, audience_tokens)
    VALUES ('delete', old.id, old.character_name, old.backstory, old.backstory_public, old.campaign_token, old.audience_tokens);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_au AFTER UPDATE OF character_name, backstory, backstory_public, audience_tokens ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(campaign_characters_fts, rowid, character_name, backstory, backstory_public, campaign_token, audience_tokens)
    VALUES ('delete', old.id, old.character_name, old.backstory, old.backstory_public, old.campaign_token, old.audience_tokens);
  INSERT INTO campaign_characters_fts(rowid, character_name, backstory, backstory_public, campaign_token, audience_tokens)
    VALUES (new.id, new.character_name, new.backstory, new.backstory_public, new.campaign_token, new.audience_tokens);
END;
--> statement-breakpoint
INSERT INTO campaign_characters_fts(campaign_characters_fts) VALUES ('rebuild');

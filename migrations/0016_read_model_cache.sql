ALTER TABLE `campaigns` ADD `cache_generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `cache_generation` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- Cache generations (ADR 0029): every write to what a cached read model shows bumps the
-- campaign's or the account's generation in the same statement, by these triggers, so no
-- write path (an action, the UserFileTracker's status writes, a cascade) can forget it.
-- A trigger's own UPDATE sets only cache_generation, which no trigger here listens to.
CREATE TRIGGER campaign_context_cache_ai AFTER INSERT ON campaign_context BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_cache_au AFTER UPDATE ON campaign_context BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_cache_ad AFTER DELETE ON campaign_context BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_cache_ai AFTER INSERT ON campaign_characters BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_cache_au AFTER UPDATE ON campaign_characters BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_cache_ad AFTER DELETE ON campaign_characters BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_resources_cache_ai AFTER INSERT ON campaign_resources BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
  UPDATE users SET cache_generation = cache_generation + 1
    WHERE username IN (SELECT username FROM file_metadata WHERE file_key = new.file_key);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_resources_cache_au AFTER UPDATE ON campaign_resources BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
  UPDATE users SET cache_generation = cache_generation + 1
    WHERE username IN (SELECT username FROM file_metadata WHERE file_key = new.file_key);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_resources_cache_ad AFTER DELETE ON campaign_resources BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
  UPDATE users SET cache_generation = cache_generation + 1
    WHERE username IN (SELECT username FROM file_metadata WHERE file_key = old.file_key);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_reveals_cache_ai AFTER INSERT ON campaign_reveals BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_reveals_cache_au AFTER UPDATE ON campaign_reveals BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_reveals_cache_ad AFTER DELETE ON campaign_reveals BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_members_cache_ai AFTER INSERT ON campaign_members BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
  UPDATE users SET cache_generation = cache_generation + 1 WHERE id = new.account_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_members_cache_au AFTER UPDATE ON campaign_members BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
  UPDATE users SET cache_generation = cache_generation + 1 WHERE id = new.account_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_members_cache_ad AFTER DELETE ON campaign_members BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
  UPDATE users SET cache_generation = cache_generation + 1 WHERE id = old.account_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaigns_cache_ai AFTER INSERT ON campaigns BEGIN
  UPDATE users SET cache_generation = cache_generation + 1 WHERE username = new.username;
END;
--> statement-breakpoint
CREATE TRIGGER campaigns_cache_au AFTER UPDATE OF username, name, description, status, metadata, version, updated_at ON campaigns BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER campaigns_cache_names_au AFTER UPDATE OF username, name ON campaigns BEGIN
  UPDATE users SET cache_generation = cache_generation + 1
    WHERE username IN (old.username, new.username)
      OR id IN (SELECT account_id FROM campaign_members WHERE campaign_id = new.id);
END;
--> statement-breakpoint
CREATE TRIGGER campaigns_cache_ad AFTER DELETE ON campaigns BEGIN
  UPDATE users SET cache_generation = cache_generation + 1 WHERE username = old.username;
END;
--> statement-breakpoint
CREATE TRIGGER file_metadata_cache_ai AFTER INSERT ON file_metadata BEGIN
  UPDATE users SET cache_generation = cache_generation + 1 WHERE username = new.username;
END;
--> statement-breakpoint
CREATE TRIGGER file_metadata_cache_au AFTER UPDATE ON file_metadata BEGIN
  UPDATE users SET cache_generation = cache_generation + 1 WHERE username IN (old.username, new.username);
  UPDATE campaigns SET cache_generation = cache_generation + 1
    WHERE id IN (SELECT campaign_id FROM campaign_resources WHERE file_key = new.file_key);
END;
--> statement-breakpoint
CREATE TRIGGER file_metadata_cache_ad AFTER DELETE ON file_metadata BEGIN
  UPDATE users SET cache_generation = cache_generation + 1 WHERE username = old.username;
END;
--> statement-breakpoint
CREATE TRIGGER file_versions_cache_ai AFTER INSERT ON file_versions BEGIN
  UPDATE users SET cache_generation = cache_generation + 1
    WHERE username IN (SELECT username FROM file_metadata WHERE file_key = new.file_key);
END;
--> statement-breakpoint
CREATE TRIGGER file_versions_cache_au AFTER UPDATE ON file_versions BEGIN
  UPDATE users SET cache_generation = cache_generation + 1
    WHERE username IN (SELECT username FROM file_metadata WHERE file_key = new.file_key);
END;
--> statement-breakpoint
CREATE TRIGGER file_versions_cache_ad AFTER DELETE ON file_versions BEGIN
  UPDATE users SET cache_generation = cache_generation + 1
    WHERE username IN (SELECT username FROM file_metadata WHERE file_key = old.file_key);
END;

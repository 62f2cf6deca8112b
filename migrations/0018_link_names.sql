CREATE TABLE `campaign_link_names` (
	`campaign_id` text NOT NULL,
	`name` text NOT NULL,
	`target_kind` text NOT NULL,
	`target_id` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `campaign_link_names_name_idx` ON `campaign_link_names` (`campaign_id`,"name" COLLATE NOCASE);--> statement-breakpoint
CREATE INDEX `campaign_link_names_target_idx` ON `campaign_link_names` (`target_kind`,`target_id`);--> statement-breakpoint
ALTER TABLE `campaign_characters` ADD `aliases` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `campaign_context` ADD `aliases` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
-- The names `[[links]]` resolve through (ADR 0035): each entry's and character's title and
-- aliases, kept by these triggers on every write path, and filled here for what exists.
INSERT INTO campaign_link_names (campaign_id, name, target_kind, target_id)
  SELECT campaign_id, title, 'entry', id FROM campaign_context
  UNION ALL SELECT campaign_id, character_name, 'character', id FROM campaign_characters;
--> statement-breakpoint
CREATE TRIGGER campaign_context_names_ai AFTER INSERT ON campaign_context BEGIN
  INSERT INTO campaign_link_names (campaign_id, name, target_kind, target_id)
    SELECT new.campaign_id, new.title, 'entry', new.id
    UNION SELECT new.campaign_id, value, 'entry', new.id FROM json_each(new.aliases) WHERE trim(value) != '';
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_names_au AFTER UPDATE OF title, aliases ON campaign_context BEGIN
  DELETE FROM campaign_link_names WHERE target_kind = 'entry' AND target_id = old.id;
  INSERT INTO campaign_link_names (campaign_id, name, target_kind, target_id)
    SELECT new.campaign_id, new.title, 'entry', new.id
    UNION SELECT new.campaign_id, value, 'entry', new.id FROM json_each(new.aliases) WHERE trim(value) != '';
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_names_ad AFTER DELETE ON campaign_context BEGIN
  DELETE FROM campaign_link_names WHERE target_kind = 'entry' AND target_id = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_names_ai AFTER INSERT ON campaign_characters BEGIN
  INSERT INTO campaign_link_names (campaign_id, name, target_kind, target_id)
    SELECT new.campaign_id, new.character_name, 'character', new.id
    UNION SELECT new.campaign_id, value, 'character', new.id FROM json_each(new.aliases) WHERE trim(value) != '';
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_names_au AFTER UPDATE OF character_name, aliases ON campaign_characters BEGIN
  DELETE FROM campaign_link_names WHERE target_kind = 'character' AND target_id = old.id;
  INSERT INTO campaign_link_names (campaign_id, name, target_kind, target_id)
    SELECT new.campaign_id, new.character_name, 'character', new.id
    UNION SELECT new.campaign_id, value, 'character', new.id FROM json_each(new.aliases) WHERE trim(value) != '';
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_names_ad AFTER DELETE ON campaign_characters BEGIN
  DELETE FROM campaign_link_names WHERE target_kind = 'character' AND target_id = old.id;
END;

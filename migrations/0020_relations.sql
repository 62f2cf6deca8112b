CREATE TABLE `campaign_relations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`from_kind` text NOT NULL,
	`from_id` integer NOT NULL,
	`to_kind` text NOT NULL,
	`to_id` integer NOT NULL,
	`type` text NOT NULL,
	`label` text DEFAULT '' NOT NULL,
	`inverse_label` text DEFAULT '' NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`audience` text DEFAULT 'gm' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_relations_from_kind_check" CHECK(from_kind IN ('entry', 'character')),
	CONSTRAINT "campaign_relations_to_kind_check" CHECK(to_kind IN ('entry', 'character')),
	CONSTRAINT "campaign_relations_type_check" CHECK(type IN ('member_of', 'located_in', 'ally_of', 'enemy_of', 'parent_of', 'owns', 'custom')),
	CONSTRAINT "campaign_relations_audience_check" CHECK(audience IN ('gm', 'campaign')),
	CONSTRAINT "campaign_relations_not_self_check" CHECK(NOT (from_kind = to_kind AND from_id = to_id)),
	CONSTRAINT "campaign_relations_labels_check" CHECK(CASE WHEN type = 'custom'
        THEN length(label) BETWEEN 1 AND 40 AND length(inverse_label) BETWEEN 1 AND 40
        ELSE label = '' AND inverse_label = '' END),
	CONSTRAINT "campaign_relations_note_check" CHECK(length(note) <= 200)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_relations_unique_idx` ON `campaign_relations` (`campaign_id`,`from_kind`,`from_id`,`to_kind`,`to_id`,`type`,lower("label"));--> statement-breakpoint
CREATE INDEX `campaign_relations_to_idx` ON `campaign_relations` (`campaign_id`,`to_kind`,`to_id`);
--> statement-breakpoint
-- hand-written (relations):
-- A relation's ends are (kind, id) pairs no foreign key reaches: deleting an entry or a
-- character deletes its relations in the same statement (ADR 0036).
CREATE TRIGGER campaign_context_relations_ad AFTER DELETE ON campaign_context BEGIN
  DELETE FROM campaign_relations WHERE campaign_id = old.campaign_id
    AND ((from_kind = 'entry' AND from_id = old.id) OR (to_kind = 'entry' AND to_id = old.id));
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_relations_ad AFTER DELETE ON campaign_characters BEGIN
  DELETE FROM campaign_relations WHERE campaign_id = old.campaign_id
    AND ((from_kind = 'character' AND from_id = old.id) OR (to_kind = 'character' AND to_id = old.id));
END;
--> statement-breakpoint
-- Cache generations (ADR 0029, migration 0016): the pages that show relations are the campaign's.
CREATE TRIGGER campaign_relations_cache_ai AFTER INSERT ON campaign_relations BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_relations_cache_au AFTER UPDATE ON campaign_relations BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_relations_cache_ad AFTER DELETE ON campaign_relations BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
END;

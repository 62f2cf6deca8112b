CREATE TABLE `campaign_proposals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`file_key` text NOT NULL,
	`file_version` integer NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`excerpt` text DEFAULT '' NOT NULL,
	`page` integer,
	`heading` text DEFAULT '' NOT NULL,
	`passage` integer,
	`origin` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`target_kind` text,
	`target_id` integer,
	`claim` text,
	`decided_by` text,
	`decided_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`file_key`) REFERENCES `file_metadata`(`file_key`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_proposals_kind_check" CHECK(kind IN ('npc', 'monster', 'place', 'item', 'faction')),
	CONSTRAINT "campaign_proposals_status_check" CHECK(status IN ('pending', 'accepted', 'rejected', 'merged'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_proposals_name_idx` ON `campaign_proposals` (`campaign_id`,`file_key`,`kind`,`name_key`);--> statement-breakpoint
CREATE INDEX `campaign_proposals_review_idx` ON `campaign_proposals` (`campaign_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `campaign_proposals_file_idx` ON `campaign_proposals` (`file_key`);
--> statement-breakpoint
-- hand-written (proposals from the books):
-- The review page shows campaign_proposals: every write bumps the campaign's cache generation (ADR 0029).
CREATE TRIGGER campaign_proposals_cache_ai AFTER INSERT ON campaign_proposals BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_proposals_cache_au AFTER UPDATE ON campaign_proposals BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_proposals_cache_ad AFTER DELETE ON campaign_proposals BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
END;

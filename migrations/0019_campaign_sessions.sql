CREATE TABLE `campaign_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`number` integer NOT NULL,
	`played_on` text NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`attendee_ids` text DEFAULT '[]' NOT NULL,
	`guests` text DEFAULT '[]' NOT NULL,
	`notes` text DEFAULT '' NOT NULL,
	`notes_public` text DEFAULT '' NOT NULL,
	`recap` text DEFAULT '' NOT NULL,
	`recap_public` text DEFAULT '' NOT NULL,
	`audience` text DEFAULT 'gm' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_sessions_audience_check" CHECK(audience IN ('gm', 'campaign')),
	CONSTRAINT "campaign_sessions_number_check" CHECK(number BETWEEN 1 AND 100000),
	CONSTRAINT "campaign_sessions_played_on_check" CHECK(played_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "campaign_sessions_title_check" CHECK(length(title) <= 120),
	CONSTRAINT "campaign_sessions_notes_check" CHECK(length(notes) <= 100000),
	CONSTRAINT "campaign_sessions_recap_check" CHECK(length(recap) <= 50000)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_sessions_campaign_number_idx` ON `campaign_sessions` (`campaign_id`,`number`);--> statement-breakpoint
CREATE INDEX `campaign_sessions_campaign_played_idx` ON `campaign_sessions` (`campaign_id`,`played_on`);
--> statement-breakpoint
-- hand-written (sessions and recaps):
-- Cache generations (ADR 0029, as migration 0016): every write to a campaign's sessions bumps its generation.
CREATE TRIGGER campaign_sessions_cache_ai AFTER INSERT ON campaign_sessions BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_sessions_cache_au AFTER UPDATE ON campaign_sessions BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = new.campaign_id;
END;
--> statement-breakpoint
CREATE TRIGGER campaign_sessions_cache_ad AFTER DELETE ON campaign_sessions BEGIN
  UPDATE campaigns SET cache_generation = cache_generation + 1 WHERE id = old.campaign_id;
END;

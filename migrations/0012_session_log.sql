CREATE TABLE `campaign_log_notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`author_id` text NOT NULL,
	`body` text NOT NULL,
	`audience` text DEFAULT 'campaign' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_log_notes_audience_check" CHECK(audience IN ('gm', 'campaign')),
	CONSTRAINT "campaign_log_notes_body_check" CHECK(length(body) BETWEEN 1 AND 500)
);
--> statement-breakpoint
CREATE INDEX `campaign_log_notes_campaign_idx` ON `campaign_log_notes` (`campaign_id`,`id`);
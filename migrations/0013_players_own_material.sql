CREATE TABLE `member_notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`author_id` text NOT NULL,
	`title` text NOT NULL,
	`body` text DEFAULT '' NOT NULL,
	`shared_with_gms` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "member_notes_title_check" CHECK(length(title) BETWEEN 1 AND 120),
	CONSTRAINT "member_notes_body_check" CHECK(length(body) <= 20000)
);
--> statement-breakpoint
CREATE INDEX `member_notes_campaign_author_idx` ON `member_notes` (`campaign_id`,`author_id`,`updated_at`);--> statement-breakpoint
ALTER TABLE `campaign_characters` ADD `player_id` text REFERENCES users(id) ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE `campaign_characters` ADD `player_fields` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `campaign_characters_player_idx` ON `campaign_characters` (`player_id`);--> statement-breakpoint
ALTER TABLE `chat_sessions` ADD `shared_with_gms` integer DEFAULT false NOT NULL;
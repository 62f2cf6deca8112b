CREATE TABLE `campaign_invites` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`role` text NOT NULL,
	`max_uses` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	`last_claim` text,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`created_by` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_invites_role_check" CHECK(role IN ('co-gm', 'player', 'viewer'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_invites_token_idx` ON `campaign_invites` (`token_hash`);--> statement-breakpoint
CREATE INDEX `campaign_invites_campaign_idx` ON `campaign_invites` (`campaign_id`,`expires_at`);--> statement-breakpoint
CREATE TABLE `campaign_members` (
	`campaign_id` text NOT NULL,
	`account_id` text NOT NULL,
	`role` text NOT NULL,
	`added_by` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`campaign_id`, `account_id`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_members_role_check" CHECK(role IN ('co-gm', 'player', 'viewer'))
);
--> statement-breakpoint
CREATE INDEX `campaign_members_account_idx` ON `campaign_members` (`account_id`);
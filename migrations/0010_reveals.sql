CREATE TABLE `campaign_reveals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`subject_kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`to_account_id` text,
	`session_label` text,
	`revealed_by` text NOT NULL,
	`revealed_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`to_account_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_reveals_subject_check" CHECK(subject_kind IN ('entry', 'character', 'file'))
);
--> statement-breakpoint
CREATE INDEX `campaign_reveals_subject_idx` ON `campaign_reveals` (`campaign_id`,`subject_kind`,`subject_id`,`to_account_id`);--> statement-breakpoint
CREATE INDEX `campaign_reveals_campaign_time_idx` ON `campaign_reveals` (`campaign_id`,`revealed_at`);
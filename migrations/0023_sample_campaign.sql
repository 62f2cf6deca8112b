ALTER TABLE `campaigns` ADD `sample` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `campaigns_one_sample_idx` ON `campaigns` (`username`) WHERE "campaigns"."sample" = 1;--> statement-breakpoint
ALTER TABLE `file_metadata` ADD `sample_campaign_id` text;
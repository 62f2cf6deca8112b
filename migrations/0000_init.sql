CREATE TABLE `campaign_characters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`character_name` text NOT NULL,
	`character_type` text DEFAULT 'npc' NOT NULL,
	`status` text DEFAULT 'alive' NOT NULL,
	`backstory` text DEFAULT '' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`sheet_file_key` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`sheet_file_key`) REFERENCES `file_metadata`(`file_key`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "campaign_characters_type_check" CHECK(character_type IN ('pc', 'npc')),
	CONSTRAINT "campaign_characters_status_check" CHECK(status IN ('alive', 'dead', 'missing'))
);
--> statement-breakpoint
CREATE INDEX `campaign_characters_campaign_type_idx` ON `campaign_characters` (`campaign_id`,`character_type`,`status`);--> statement-breakpoint
CREATE INDEX `campaign_characters_campaign_updated_idx` ON `campaign_characters` (`campaign_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `campaign_characters_sheet_idx` ON `campaign_characters` (`sheet_file_key`);--> statement-breakpoint
CREATE TABLE `campaign_context` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`context_type` text DEFAULT 'lore' NOT NULL,
	`title` text NOT NULL,
	`content` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '' NOT NULL,
	`gm_only` integer DEFAULT false NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaign_context_type_check" CHECK(context_type IN ('lore', 'location', 'faction', 'item', 'plot_hook', 'session_note', 'house_rule', 'other'))
);
--> statement-breakpoint
CREATE INDEX `campaign_context_campaign_type_idx` ON `campaign_context` (`campaign_id`,`context_type`);--> statement-breakpoint
CREATE INDEX `campaign_context_campaign_updated_idx` ON `campaign_context` (`campaign_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `campaign_resources` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`file_key` text NOT NULL,
	`file_name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`file_key`) REFERENCES `file_metadata`(`file_key`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_resources_campaign_file_idx` ON `campaign_resources` (`campaign_id`,`file_key`);--> statement-breakpoint
CREATE INDEX `campaign_resources_file_idx` ON `campaign_resources` (`file_key`);--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'planning' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`username`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "campaigns_status_check" CHECK(status IN ('planning', 'active', 'paused', 'completed', 'archived'))
);
--> statement-breakpoint
CREATE INDEX `campaigns_username_updated_idx` ON `campaigns` (`username`,`updated_at`);--> statement-breakpoint
CREATE INDEX `campaigns_username_status_idx` ON `campaigns` (`username`,`status`);--> statement-breakpoint
CREATE TABLE `chat_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`role` text NOT NULL,
	`content` text NOT NULL,
	`citations` text DEFAULT '[]' NOT NULL,
	`provider` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `chat_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_messages_session_created_idx` ON `chat_messages` (`session_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `chat_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`username` text NOT NULL,
	`title` text DEFAULT 'New conversation' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`username`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_sessions_campaign_updated_idx` ON `chat_sessions` (`campaign_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `file_chunks` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`file_key` text NOT NULL,
	`username` text NOT NULL,
	`file_version` integer DEFAULT 1 NOT NULL,
	`chunk_text` text NOT NULL,
	`chunk_index` integer NOT NULL,
	`embedding_id` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`file_key`) REFERENCES `file_metadata`(`file_key`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`username`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `file_chunks_id_idx` ON `file_chunks` (`id`);--> statement-breakpoint
CREATE INDEX `file_chunks_file_version_idx` ON `file_chunks` (`file_key`,`file_version`,`chunk_index`);--> statement-breakpoint
CREATE INDEX `file_chunks_username_idx` ON `file_chunks` (`username`);--> statement-breakpoint
CREATE TABLE `file_metadata` (
	`file_key` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`file_name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`file_size` integer DEFAULT 0 NOT NULL,
	`content_type` text DEFAULT 'application/octet-stream' NOT NULL,
	`sha256` text,
	`status` text DEFAULT 'uploading' NOT NULL,
	`current_version` integer DEFAULT 1 NOT NULL,
	`page_count` integer,
	`error` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`username`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "file_metadata_status_check" CHECK(status IN ('uploading', 'uploaded', 'queued', 'extracting', 'indexing', 'embedding', 'ready', 'failed', 'cancelled', 'stored'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `file_metadata_username_name_idx` ON `file_metadata` (`username`,`file_name`);--> statement-breakpoint
CREATE INDEX `file_metadata_username_updated_idx` ON `file_metadata` (`username`,`updated_at`);--> statement-breakpoint
CREATE TABLE `file_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`file_key` text NOT NULL,
	`version_number` integer NOT NULL,
	`file_name` text NOT NULL,
	`r2_key` text NOT NULL,
	`r2_upload_id` text NOT NULL,
	`total_size` integer NOT NULL,
	`part_size` integer NOT NULL,
	`parts` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`username`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `file_uploads_username_idx` ON `file_uploads` (`username`);--> statement-breakpoint
CREATE TABLE `file_versions` (
	`file_key` text NOT NULL,
	`version_number` integer NOT NULL,
	`r2_key` text NOT NULL,
	`file_size` integer NOT NULL,
	`content_type` text NOT NULL,
	`sha256` text,
	`page_count` integer,
	`status` text DEFAULT 'uploaded' NOT NULL,
	`error` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`file_key`, `version_number`),
	FOREIGN KEY (`file_key`) REFERENCES `file_metadata`(`file_key`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `file_versions_sha_idx` ON `file_versions` (`sha256`);--> statement-breakpoint
CREATE TABLE `local_vectors` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text NOT NULL,
	`file_key` text,
	`vector` blob NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`namespace`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `local_vectors_namespace_file_idx` ON `local_vectors` (`namespace`,`file_key`);--> statement-breakpoint
CREATE TABLE `login_throttle` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`locked_until` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`username` text PRIMARY KEY NOT NULL,
	`password_hash` text NOT NULL,
	`session_epoch` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT "users_username_check" CHECK(length(username) BETWEEN 3 AND 32 AND username NOT GLOB '*[^a-z0-9_-]*')
);

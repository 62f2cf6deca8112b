-- Accounts get an immutable random id (ADR 0017). Existing accounts keep their username
-- as their id, so their R2 prefix, Durable Object and vector namespace stay where they
-- are; new ids ("u_" + 32 hex) are longer than any username, so they never collide.
ALTER TABLE `users` ADD `id` text DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE `users` SET `id` = `username`;--> statement-breakpoint
CREATE UNIQUE INDEX `users_id_idx` ON `users` (`id`);--> statement-breakpoint
-- Signed-in devices replace the session epoch: a session is valid while its row exists.
-- Every session issued before this migration ends (people sign in once more).
ALTER TABLE `users` DROP COLUMN `session_epoch`;--> statement-breakpoint
CREATE TABLE `user_devices` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`remember` integer DEFAULT false NOT NULL,
	`user_agent` text DEFAULT '' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `user_devices_user_idx` ON `user_devices` (`user_id`,`last_seen_at`);--> statement-breakpoint
CREATE TABLE `recovery_codes` (
	`user_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`user_id`, `code_hash`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Deleted accounts whose R2 objects, cache entries and Durable Object are still being
-- removed (the D1 rows go first, at once; a sweep finishes what a crash interrupts).
CREATE TABLE `deleted_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`deleted_at` integer NOT NULL
);
--> statement-breakpoint
-- Uploads in flight decide their file and version at completion, write to a key of their
-- own, and single streamed uploads reserve their bytes too (no R2 upload id). Nothing
-- references this table, so it is rebuilt in place; uploads in flight carry over.
CREATE TABLE `__new_file_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`file_name` text NOT NULL,
	`r2_key` text NOT NULL,
	`r2_upload_id` text,
	`total_size` integer NOT NULL,
	`part_size` integer DEFAULT 0 NOT NULL,
	`parts` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`username`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_file_uploads`("id", "username", "file_name", "r2_key", "r2_upload_id", "total_size", "part_size", "parts", "created_at", "updated_at") SELECT "id", "username", "file_name", "r2_key", "r2_upload_id", "total_size", "part_size", "parts", "created_at", "updated_at" FROM `file_uploads`;--> statement-breakpoint
DROP TABLE `file_uploads`;--> statement-breakpoint
ALTER TABLE `__new_file_uploads` RENAME TO `file_uploads`;--> statement-breakpoint
CREATE INDEX `file_uploads_username_idx` ON `file_uploads` (`username`);--> statement-breakpoint
CREATE INDEX `file_uploads_name_idx` ON `file_uploads` (`username`,`file_name`);
--> statement-breakpoint
-- The offline vector index keys its namespaces on the account id too (as Vectorize does).
-- Existing rows are the legacy accounts', whose id is their username: they carry over.
CREATE TABLE `__new_local_vectors` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text NOT NULL,
	`file_key` text,
	`vector` text NOT NULL,
	`scale` real NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`namespace`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_local_vectors`("id", "namespace", "file_key", "vector", "scale", "metadata", "created_at") SELECT "id", "namespace", "file_key", "vector", "scale", "metadata", "created_at" FROM `local_vectors`;--> statement-breakpoint
DROP TABLE `local_vectors`;--> statement-breakpoint
ALTER TABLE `__new_local_vectors` RENAME TO `local_vectors`;--> statement-breakpoint
CREATE INDEX `local_vectors_namespace_file_idx` ON `local_vectors` (`namespace`,`file_key`);
CREATE TABLE `maintenance_cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`cursor` text,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `file_uploads_r2_key_idx` ON `file_uploads` (`r2_key`);--> statement-breakpoint
CREATE INDEX `file_versions_r2_key_idx` ON `file_versions` (`r2_key`);
ALTER TABLE `file_versions` ADD `content_encoding` text;--> statement-breakpoint
ALTER TABLE `file_versions` ADD `stored_size` integer;--> statement-breakpoint
-- Every version stored before this migration holds its bytes as uploaded (ADR 0028).
UPDATE `file_versions` SET `stored_size` = `file_size` WHERE `stored_size` IS NULL;

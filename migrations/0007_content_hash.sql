-- Uploads no longer hash bytes in the Worker: a single upload is identified by R2's MD5,
-- so the column says what it holds (docs/decisions/0024).
ALTER TABLE `file_metadata` RENAME COLUMN `sha256` TO `content_hash`;--> statement-breakpoint
ALTER TABLE `file_versions` RENAME COLUMN `sha256` TO `content_hash`;--> statement-breakpoint
DROP INDEX IF EXISTS `file_versions_sha_idx`;--> statement-breakpoint
CREATE INDEX `file_versions_content_hash_idx` ON `file_versions` (`content_hash`);

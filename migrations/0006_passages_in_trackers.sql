-- Passages, their full-text index and (offline) their vectors move out of D1 into each
-- account's UserFileTracker (ADR 0020). What was indexed here is not copied: a Durable
-- Object's storage cannot be written from a migration. Instead every file that was
-- searchable or on its way goes back to "uploaded", which the maintenance cron re-queues
-- (app/server/cron.server.ts), and its tracker indexes it again from R2.
DROP TRIGGER IF EXISTS `file_chunks_fts_ai`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `file_chunks_fts_ad`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `file_chunks_fts_au`;--> statement-breakpoint
DROP TABLE IF EXISTS `file_chunks_fts`;--> statement-breakpoint
DROP TABLE `file_chunks`;--> statement-breakpoint
DROP TABLE `local_vectors`;--> statement-breakpoint
UPDATE `file_versions` SET `status` = 'uploaded', `error` = NULL
  WHERE `status` IN ('queued', 'extracting', 'indexing', 'embedding', 'ready');--> statement-breakpoint
UPDATE `file_metadata` SET `status` = 'uploaded', `error` = NULL
  WHERE `status` IN ('queued', 'extracting', 'indexing', 'embedding', 'ready');

-- The offline vector index (local_vectors, ADR 0005) stores int8-quantised vectors as
-- base64 text instead of float32 BLOBs (ADR 0014). The old rows cannot be converted in
-- SQL, so they are dropped: this table exists only in local development and tests.
-- Search by words is unaffected; "Process again" on a file restores its vectors.
DROP TABLE `local_vectors`;--> statement-breakpoint
CREATE TABLE `local_vectors` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text NOT NULL,
	`file_key` text,
	`vector` text NOT NULL,
	`scale` real NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`namespace`) REFERENCES `users`(`username`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `local_vectors_namespace_file_idx` ON `local_vectors` (`namespace`,`file_key`);

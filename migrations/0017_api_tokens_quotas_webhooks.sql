CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`campaign_id` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`expires_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `api_tokens_user_idx` ON `api_tokens` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `daily_usage` (
	`user_id` text NOT NULL,
	`day` text NOT NULL,
	`api_calls` integer DEFAULT 0 NOT NULL,
	`questions` integer DEFAULT 0 NOT NULL,
	`upload_bytes` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`user_id`, `day`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`event_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_type` text NOT NULL,
	`body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`response_status` integer,
	`last_error` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`event_id`, `endpoint_id`),
	FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "webhook_deliveries_status_check" CHECK(status IN ('pending', 'retrying', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_idx` ON `webhook_deliveries` (`endpoint_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_status_idx` ON `webhook_deliveries` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`secret` text NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`disabled_at` integer,
	`disabled_reason` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_user_idx` ON `webhook_endpoints` (`user_id`);--> statement-breakpoint
CREATE TABLE `webhook_outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`user_id` text NOT NULL,
	`event_type` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`claimed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_outbox_id_idx` ON `webhook_outbox` (`id`);

--> statement-breakpoint
-- Webhook events (ADR 0033): each change to a campaign, entry, character or a file's
-- outcome writes its event into webhook_outbox in the same statement as the change, so an
-- event exists exactly when its change committed, once per change, whatever the write path
-- (an action, the API, the UserFileTracker, a cascade). Only for an account with an enabled
-- endpoint. Edits are the rows whose `version` moved: a cache-generation bump, a touch of
-- updated_at or a reveal's audience tokens are not edits. An entry or character removed
-- with its campaign is told by campaign.deleted alone (the campaign is gone by then).
CREATE TRIGGER campaign_context_webhook_created AFTER INSERT ON campaign_context WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id), 'entry.created', json_object('campaignId', new.campaign_id, 'entry', json_object('id', new.id, 'type', new.context_type, 'title', new.title, 'audience', new.audience, 'version', new.version, 'updatedAt', new.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_webhook_updated AFTER UPDATE ON campaign_context WHEN new.version <> old.version AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id), 'entry.updated', json_object('campaignId', new.campaign_id, 'entry', json_object('id', new.id, 'type', new.context_type, 'title', new.title, 'audience', new.audience, 'version', new.version, 'updatedAt', new.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_webhook_deleted AFTER DELETE ON campaign_context WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = old.campaign_id) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = old.campaign_id), 'entry.deleted', json_object('campaignId', old.campaign_id, 'entry', json_object('id', old.id, 'type', old.context_type, 'title', old.title, 'audience', old.audience, 'version', old.version, 'updatedAt', old.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_webhook_created AFTER INSERT ON campaign_characters WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id), 'character.created', json_object('campaignId', new.campaign_id, 'character', json_object('id', new.id, 'name', new.character_name, 'type', new.character_type, 'status', new.status, 'audience', new.audience, 'version', new.version, 'updatedAt', new.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_webhook_updated AFTER UPDATE ON campaign_characters WHEN new.version <> old.version AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = new.campaign_id), 'character.updated', json_object('campaignId', new.campaign_id, 'character', json_object('id', new.id, 'name', new.character_name, 'type', new.character_type, 'status', new.status, 'audience', new.audience, 'version', new.version, 'updatedAt', new.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_webhook_deleted AFTER DELETE ON campaign_characters WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = old.campaign_id) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM campaigns c JOIN users u ON u.username = c.username WHERE c.id = old.campaign_id), 'character.deleted', json_object('campaignId', old.campaign_id, 'character', json_object('id', old.id, 'name', old.character_name, 'type', old.character_type, 'status', old.status, 'audience', old.audience, 'version', old.version, 'updatedAt', old.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaigns_webhook_created AFTER INSERT ON campaigns WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM users u WHERE u.username = new.username) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM users u WHERE u.username = new.username), 'campaign.created', json_object('campaign', json_object('id', new.id, 'name', new.name, 'status', new.status, 'version', new.version, 'updatedAt', new.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaigns_webhook_updated AFTER UPDATE ON campaigns WHEN new.version <> old.version AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM users u WHERE u.username = new.username) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM users u WHERE u.username = new.username), 'campaign.updated', json_object('campaign', json_object('id', new.id, 'name', new.name, 'status', new.status, 'version', new.version, 'updatedAt', new.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER campaigns_webhook_deleted AFTER DELETE ON campaigns WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM users u WHERE u.username = old.username) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM users u WHERE u.username = old.username), 'campaign.deleted', json_object('campaign', json_object('id', old.id, 'name', old.name, 'status', old.status, 'version', old.version, 'updatedAt', old.updated_at)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER file_metadata_webhook_ready AFTER UPDATE OF status ON file_metadata WHEN new.status = 'ready' AND old.status IS NOT 'ready' AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM users u WHERE u.username = new.username) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM users u WHERE u.username = new.username), 'file.ready', json_object('file', json_object('fileKey', new.file_key, 'fileName', new.file_name, 'version', new.current_version, 'pageCount', new.page_count, 'error', new.error)), cast(unixepoch('subsec') * 1000 as integer));
END;
--> statement-breakpoint
CREATE TRIGGER file_metadata_webhook_failed AFTER UPDATE OF status ON file_metadata WHEN new.status = 'failed' AND old.status IS NOT 'failed' AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.user_id = (SELECT u.id FROM users u WHERE u.username = new.username) AND w.disabled_at IS NULL) BEGIN
  INSERT INTO webhook_outbox (id, user_id, event_type, data, created_at)
  VALUES ('evt_' || lower(hex(randomblob(12))), (SELECT u.id FROM users u WHERE u.username = new.username), 'file.failed', json_object('file', json_object('fileKey', new.file_key, 'fileName', new.file_name, 'version', new.current_version, 'pageCount', new.page_count, 'error', new.error)), cast(unixepoch('subsec') * 1000 as integer));
END;

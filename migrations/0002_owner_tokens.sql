ALTER TABLE `campaign_characters` ADD `campaign_token` text GENERATED ALWAYS AS ('c' || hex(campaign_id) || '0') VIRTUAL;--> statement-breakpoint
ALTER TABLE `campaign_context` ADD `campaign_token` text GENERATED ALWAYS AS ('c' || hex(campaign_id) || '0') VIRTUAL;--> statement-breakpoint
ALTER TABLE `file_chunks` ADD `owner_token` text GENERATED ALWAYS AS ('u' || hex(username) || '0') VIRTUAL;
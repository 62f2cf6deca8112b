ALTER TABLE `campaigns` ADD `edited_at` integer;--> statement-breakpoint
-- A campaign whose own fields were edited (version above 1) last changed no later than its
-- updated_at, which entries and characters also move; the best estimate there is.
UPDATE `campaigns` SET `edited_at` = `updated_at` WHERE `version` > 1;

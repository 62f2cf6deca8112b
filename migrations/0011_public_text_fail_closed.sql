-- Custom SQL migration file, put your code below! --
-- 0009 filled content_public / backstory_public from the full text unless it held the exact
-- text "```secret" or "~~~secret"; a fence written "``` secret" (or with a tab, or in other
-- ways the renderer also reads as a secret block) was copied into the public text. Rows
-- still holding a copy of their full text that has both a fence and the word "secret" are
-- emptied (fail closed) until their next save computes the public text again; the app
-- writes these columns on every save (secrets.server.ts).
UPDATE `campaign_context` SET `content_public` = ''
  WHERE `content_public` = `content` AND (`content` LIKE '%```%' OR `content` LIKE '%~~~%') AND `content` LIKE '%secret%';
--> statement-breakpoint
UPDATE `campaign_characters` SET `backstory_public` = ''
  WHERE `backstory_public` = `backstory` AND (`backstory` LIKE '%```%' OR `backstory` LIKE '%~~~%') AND `backstory` LIKE '%secret%';

-- Custom SQL migration file, put your code below! --
-- Scoped full-text search (ADR 0014). Each FTS5 index gets the owner's token (chunks:
-- the user; context and characters: the campaign), so a query matches only the rows of
-- its own user or campaigns inside the index: its cost follows the user's data, not the
-- whole tenant base. The tokens come from generated columns of the content tables
-- (0002), so 'rebuild' reproduces exactly what the triggers write.
DROP TRIGGER file_chunks_fts_ai;
--> statement-breakpoint
DROP TRIGGER file_chunks_fts_ad;
--> statement-breakpoint
DROP TRIGGER file_chunks_fts_au;
--> statement-breakpoint
DROP TABLE file_chunks_fts;
--> statement-breakpoint
CREATE VIRTUAL TABLE file_chunks_fts USING fts5(
  chunk_text,
  owner_token,
  content='file_chunks',
  content_rowid='seq',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER file_chunks_fts_ai AFTER INSERT ON file_chunks BEGIN
  INSERT INTO file_chunks_fts(rowid, chunk_text, owner_token) VALUES (new.seq, new.chunk_text, new.owner_token);
END;
--> statement-breakpoint
CREATE TRIGGER file_chunks_fts_ad AFTER DELETE ON file_chunks BEGIN
  INSERT INTO file_chunks_fts(file_chunks_fts, rowid, chunk_text, owner_token)
    VALUES ('delete', old.seq, old.chunk_text, old.owner_token);
END;
--> statement-breakpoint
CREATE TRIGGER file_chunks_fts_au AFTER UPDATE OF chunk_text ON file_chunks BEGIN
  INSERT INTO file_chunks_fts(file_chunks_fts, rowid, chunk_text, owner_token)
    VALUES ('delete', old.seq, old.chunk_text, old.owner_token);
  INSERT INTO file_chunks_fts(rowid, chunk_text, owner_token) VALUES (new.seq, new.chunk_text, new.owner_token);
END;
--> statement-breakpoint
INSERT INTO file_chunks_fts(file_chunks_fts) VALUES ('rebuild');
--> statement-breakpoint
DROP TRIGGER campaign_context_fts_ai;
--> statement-breakpoint
DROP TRIGGER campaign_context_fts_ad;
--> statement-breakpoint
DROP TRIGGER campaign_context_fts_au;
--> statement-breakpoint
DROP TABLE campaign_context_fts;
--> statement-breakpoint
CREATE VIRTUAL TABLE campaign_context_fts USING fts5(
  title,
  content,
  tags,
  campaign_token,
  content='campaign_context',
  content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_ai AFTER INSERT ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(rowid, title, content, tags, campaign_token)
    VALUES (new.id, new.title, new.content, new.tags, new.campaign_token);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_ad AFTER DELETE ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(campaign_context_fts, rowid, title, content, tags, campaign_token)
    VALUES ('delete', old.id, old.title, old.content, old.tags, old.campaign_token);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_au AFTER UPDATE OF title, content, tags ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(campaign_context_fts, rowid, title, content, tags, campaign_token)
    VALUES ('delete', old.id, old.title, old.content, old.tags, old.campaign_token);
  INSERT INTO campaign_context_fts(rowid, title, content, tags, campaign_token)
    VALUES (new.id, new.title, new.content, new.tags, new.campaign_token);
END;
--> statement-breakpoint
INSERT INTO campaign_context_fts(campaign_context_fts) VALUES ('rebuild');
--> statement-breakpoint
DROP TRIGGER campaign_characters_fts_ai;
--> statement-breakpoint
DROP TRIGGER campaign_characters_fts_ad;
--> statement-breakpoint
DROP TRIGGER campaign_characters_fts_au;
--> statement-breakpoint
DROP TABLE campaign_characters_fts;
--> statement-breakpoint
CREATE VIRTUAL TABLE campaign_characters_fts USING fts5(
  character_name,
  backstory,
  campaign_token,
  content='campaign_characters',
  content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_ai AFTER INSERT ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(rowid, character_name, backstory, campaign_token)
    VALUES (new.id, new.character_name, new.backstory, new.campaign_token);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_ad AFTER DELETE ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(campaign_characters_fts, rowid, character_name, backstory, campaign_token)
    VALUES ('delete', old.id, old.character_name, old.backstory, old.campaign_token);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_au AFTER UPDATE OF character_name, backstory ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(campaign_characters_fts, rowid, character_name, backstory, campaign_token)
    VALUES ('delete', old.id, old.character_name, old.backstory, old.campaign_token);
  INSERT INTO campaign_characters_fts(rowid, character_name, backstory, campaign_token)
    VALUES (new.id, new.character_name, new.backstory, new.campaign_token);
END;
--> statement-breakpoint
INSERT INTO campaign_characters_fts(campaign_characters_fts) VALUES ('rebuild');

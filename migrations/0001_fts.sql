-- Custom SQL migration file, put your code below! --
-- Full-text indexes (FTS5, external content) for retrieval. Hand-written: drizzle-kit
-- does not model virtual tables. Triggers keep each index in step with its table on
-- every insert, update and delete, including deletes by ON DELETE CASCADE.

CREATE VIRTUAL TABLE file_chunks_fts USING fts5(
  chunk_text,
  content='file_chunks',
  content_rowid='seq',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER file_chunks_fts_ai AFTER INSERT ON file_chunks BEGIN
  INSERT INTO file_chunks_fts(rowid, chunk_text) VALUES (new.seq, new.chunk_text);
END;
--> statement-breakpoint
CREATE TRIGGER file_chunks_fts_ad AFTER DELETE ON file_chunks BEGIN
  INSERT INTO file_chunks_fts(file_chunks_fts, rowid, chunk_text) VALUES ('delete', old.seq, old.chunk_text);
END;
--> statement-breakpoint
CREATE TRIGGER file_chunks_fts_au AFTER UPDATE OF chunk_text ON file_chunks BEGIN
  INSERT INTO file_chunks_fts(file_chunks_fts, rowid, chunk_text) VALUES ('delete', old.seq, old.chunk_text);
  INSERT INTO file_chunks_fts(rowid, chunk_text) VALUES (new.seq, new.chunk_text);
END;
--> statement-breakpoint
CREATE VIRTUAL TABLE campaign_context_fts USING fts5(
  title,
  content,
  tags,
  content='campaign_context',
  content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_ai AFTER INSERT ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(rowid, title, content, tags) VALUES (new.id, new.title, new.content, new.tags);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_ad AFTER DELETE ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(campaign_context_fts, rowid, title, content, tags)
    VALUES ('delete', old.id, old.title, old.content, old.tags);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_context_fts_au AFTER UPDATE OF title, content, tags ON campaign_context BEGIN
  INSERT INTO campaign_context_fts(campaign_context_fts, rowid, title, content, tags)
    VALUES ('delete', old.id, old.title, old.content, old.tags);
  INSERT INTO campaign_context_fts(rowid, title, content, tags) VALUES (new.id, new.title, new.content, new.tags);
END;
--> statement-breakpoint
CREATE VIRTUAL TABLE campaign_characters_fts USING fts5(
  character_name,
  backstory,
  content='campaign_characters',
  content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_ai AFTER INSERT ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(rowid, character_name, backstory) VALUES (new.id, new.character_name, new.backstory);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_ad AFTER DELETE ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(campaign_characters_fts, rowid, character_name, backstory)
    VALUES ('delete', old.id, old.character_name, old.backstory);
END;
--> statement-breakpoint
CREATE TRIGGER campaign_characters_fts_au AFTER UPDATE OF character_name, backstory ON campaign_characters BEGIN
  INSERT INTO campaign_characters_fts(campaign_characters_fts, rowid, character_name, backstory)
    VALUES ('delete', old.id, old.character_name, old.backstory);
  INSERT INTO campaign_characters_fts(rowid, character_name, backstory) VALUES (new.id, new.character_name, new.backstory);
END;

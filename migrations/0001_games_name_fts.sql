-- Substring search on games.name without a full scan: an FTS5 index with the trigram
-- tokenizer (case-insensitive by default) answers `MATCH '"abc"'` for queries of 3+
-- characters. It is an external-content table over `games`, kept in sync by triggers, so the
-- name is stored once and every write path (API, ingestion, SQL console) stays indexed.
CREATE VIRTUAL TABLE `games_fts` USING fts5(`name`, content = 'games', content_rowid = 'id', tokenize = 'trigram');
--> statement-breakpoint
CREATE TRIGGER `games_fts_after_insert` AFTER INSERT ON `games` BEGIN
  INSERT INTO `games_fts` (`rowid`, `name`) VALUES (new.`id`, new.`name`);
END;
--> statement-breakpoint
CREATE TRIGGER `games_fts_after_delete` AFTER DELETE ON `games` BEGIN
  INSERT INTO `games_fts` (`games_fts`, `rowid`, `name`) VALUES ('delete', old.`id`, old.`name`);
END;
--> statement-breakpoint
-- Only a change of name touches the index: re-ingesting a ranking that moves rank or version
-- does not rewrite FTS rows.
CREATE TRIGGER `games_fts_after_update_name` AFTER UPDATE OF `name` ON `games` WHEN old.`name` IS NOT new.`name` BEGIN
  INSERT INTO `games_fts` (`games_fts`, `rowid`, `name`) VALUES ('delete', old.`id`, old.`name`);
  INSERT INTO `games_fts` (`rowid`, `name`) VALUES (new.`id`, new.`name`);
END;

ALTER TABLE `games` ADD `source_at` text;--> statement-breakpoint
ALTER TABLE `games` ADD `source_file_id` integer;--> statement-breakpoint
-- Backfill (custom SQL: drizzle-kit does not write data migrations). A game written by
-- ingestion gets the ledger row of its source file (the newest `done` version of `source_key`)
-- and that file's LastModified, normalised to the fixed-width form the code writes
-- (src/core/ingest/source-time.ts); the ledger's first sight of the file when the listing gave
-- none. For files uploaded on the day their key names (the data team's daily layout) this is
-- what the code computes; for a file uploaded later than its key's day it is later, which errs
-- on keeping the game's current values. Games no file wrote keep NULL: any file may set them.
UPDATE `games` SET
  `source_file_id` = (
    SELECT f.`id` FROM `ingest_files` f WHERE f.`key` = `games`.`source_key` AND f.`status` = 'done'
    ORDER BY f.`finished_at` DESC, f.`id` DESC LIMIT 1),
  `source_at` = (
    SELECT strftime('%Y-%m-%dT%H:%M:%fZ', coalesce(f.`last_modified`, f.`created_at`)) FROM `ingest_files` f
    WHERE f.`key` = `games`.`source_key` AND f.`status` = 'done'
    ORDER BY f.`finished_at` DESC, f.`id` DESC LIMIT 1)
WHERE `source_key` IS NOT NULL;

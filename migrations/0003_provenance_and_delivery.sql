ALTER TABLE `games` ADD `source_key` text;--> statement-breakpoint
ALTER TABLE `ingest_files` ADD `delivery_id` text;
ALTER TABLE `ingest_files` ADD `abandoned_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `ingest_files` ADD `requeued_at` text;--> statement-breakpoint
ALTER TABLE `ingest_files` ADD `overdue_alerted_at` text;--> statement-breakpoint
ALTER TABLE `ingest_runs` ADD `requested_by` text;
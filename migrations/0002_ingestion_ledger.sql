CREATE TABLE `ingest_files` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`key` text NOT NULL,
	`etag` text NOT NULL,
	`size` integer NOT NULL,
	`last_modified` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`records_seen` integer,
	`records_upserted` integer,
	`records_rejected` integer,
	`games_written` integer,
	`rejection_samples` text,
	`last_error` text,
	`sent_at` text,
	`send_claim` text,
	`send_claimed_at` text,
	`lease_token` text,
	`lease_expires_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	FOREIGN KEY (`run_id`) REFERENCES `ingest_runs`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ingest_files_status_ck" CHECK("ingest_files"."status" IN ('queued', 'processing', 'done', 'failed', 'dead'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ingest_files_key_etag_uq` ON `ingest_files` (`key`,`etag`);--> statement-breakpoint
CREATE INDEX `ingest_files_status_idx` ON `ingest_files` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `ingest_files_run_id_idx` ON `ingest_files` (`run_id`);--> statement-breakpoint
CREATE INDEX `ingest_files_finished_at_idx` ON `ingest_files` (`status`,`finished_at`);--> statement-breakpoint
CREATE TABLE `ingest_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`objects_listed` integer DEFAULT 0 NOT NULL,
	`files_enqueued` integer DEFAULT 0 NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `ingest_runs_started_at_idx` ON `ingest_runs` (`started_at`);--> statement-breakpoint
CREATE TABLE `ingest_staging` (
	`lease_token` text NOT NULL,
	`file_id` integer NOT NULL,
	`platform` text NOT NULL,
	`store_id` text NOT NULL,
	`name` text NOT NULL,
	`bundle_id` text,
	`publisher_id` text,
	`publisher_name` text,
	`app_version` text,
	`icon_url` text,
	`rank` integer,
	PRIMARY KEY(`lease_token`, `platform`, `store_id`)
);
--> statement-breakpoint
CREATE INDEX `ingest_staging_file_id_idx` ON `ingest_staging` (`file_id`);
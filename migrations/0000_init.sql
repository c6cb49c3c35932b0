CREATE TABLE `api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_uq` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE TABLE `games` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`platform` text NOT NULL,
	`store_id` text NOT NULL,
	`bundle_id` text,
	`name` text NOT NULL,
	`publisher_id` text,
	`publisher_name` text,
	`app_version` text,
	`is_published` integer DEFAULT false NOT NULL,
	`icon_url` text,
	`rank` integer,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	CONSTRAINT "games_platform_ck" CHECK("games"."platform" IN ('ios', 'android'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `games_platform_store_id_uq` ON `games` (`platform`,`store_id`);--> statement-breakpoint
CREATE INDEX `games_platform_id_idx` ON `games` (`platform`,`id`);
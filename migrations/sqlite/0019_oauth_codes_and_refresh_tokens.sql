CREATE TABLE `oauth_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`code_challenge` text NOT NULL,
	`scopes` text NOT NULL,
	`subject` text NOT NULL,
	`user_info` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `oauth_codes_expires_at_idx` ON `oauth_codes` (`expires_at`);--> statement-breakpoint
CREATE TABLE `oauth_refresh_tokens` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`family` text NOT NULL,
	`client_id` text NOT NULL,
	`subject` text NOT NULL,
	`scopes` text NOT NULL,
	`user_info` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `oauth_refresh_tokens_family_idx` ON `oauth_refresh_tokens` (`family`);--> statement-breakpoint
CREATE INDEX `oauth_refresh_tokens_subject_idx` ON `oauth_refresh_tokens` (`subject`);--> statement-breakpoint
CREATE INDEX `oauth_refresh_tokens_expires_at_idx` ON `oauth_refresh_tokens` (`expires_at`);
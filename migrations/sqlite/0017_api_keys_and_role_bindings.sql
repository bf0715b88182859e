CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_sha256` text NOT NULL,
	`owner_subject` text NOT NULL,
	`service_account` text,
	`description` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `api_keys_owner_idx` ON `api_keys` (`owner_subject`,`created_at`);--> statement-breakpoint
CREATE INDEX `api_keys_created_at_idx` ON `api_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `role_bindings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subject_kind` text NOT NULL,
	`subject` text NOT NULL,
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `role_bindings_key_idx` ON `role_bindings` (`subject_kind`,`subject`,`project`,`domain`,`role`);--> statement-breakpoint
CREATE INDEX `role_bindings_project_idx` ON `role_bindings` (`project`,`domain`);
CREATE TABLE `schedulable_entities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`cron_expression` text,
	`fixed_rate_value` integer,
	`unit` integer,
	`kickoff_time_input_arg` text DEFAULT '' NOT NULL,
	`active` integer NOT NULL,
	`activated_at` integer,
	`next_fire_at` integer,
	`retry_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_fired_at` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedulable_entities_key_idx` ON `schedulable_entities` (`project`,`domain`,`name`,`version`);--> statement-breakpoint
CREATE INDEX `schedulable_entities_due_idx` ON `schedulable_entities` (`active`,`next_fire_at`);
CREATE TABLE `engine_workflows` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`definition` text NOT NULL,
	`status` text NOT NULL,
	`version` integer NOT NULL,
	`active` integer NOT NULL,
	`abort_cause` text,
	`next_wake_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`)
);
--> statement-breakpoint
CREATE INDEX `engine_workflows_active_idx` ON `engine_workflows` (`active`,`created_at`,`project`,`domain`,`name`);
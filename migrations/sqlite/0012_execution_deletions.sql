CREATE TABLE `execution_deletions` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`marked_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`)
);
--> statement-breakpoint
CREATE INDEX `execution_deletions_marked_idx` ON `execution_deletions` (`marked_at`);--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `executions_updated_idx` ON `executions` (`project`,`domain`,`updated_at`);--> statement-breakpoint
CREATE INDEX `executions_updated_at_idx` ON `executions` (`updated_at`);
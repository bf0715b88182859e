CREATE TABLE `resources` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project` text DEFAULT '' NOT NULL,
	`domain` text DEFAULT '' NOT NULL,
	`workflow` text DEFAULT '' NOT NULL,
	`launch_plan` text DEFAULT '' NOT NULL,
	`resource_type` text NOT NULL,
	`priority` integer NOT NULL,
	`attributes` blob NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `resource_idx` ON `resources` (`project`,`domain`,`workflow`,`launch_plan`,`resource_type`);--> statement-breakpoint
CREATE INDEX `resources_type_priority_idx` ON `resources` (`resource_type`,`priority`);
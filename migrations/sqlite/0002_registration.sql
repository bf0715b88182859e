CREATE TABLE `description_entities` (
	`resource_type` integer NOT NULL,
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`short_description` text DEFAULT '' NOT NULL,
	`long_description` blob,
	`link` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`resource_type`, `project`, `domain`, `name`, `version`)
);
--> statement-breakpoint
CREATE INDEX `description_entities_name_created_idx` ON `description_entities` (`resource_type`,`project`,`domain`,`name`,`created_at`);--> statement-breakpoint
CREATE TABLE `launch_plans` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`workflow_project` text NOT NULL,
	`workflow_domain` text NOT NULL,
	`workflow_name` text NOT NULL,
	`workflow_version` text NOT NULL,
	`spec` blob NOT NULL,
	`closure` blob NOT NULL,
	`state` integer DEFAULT 0 NOT NULL,
	`digest` blob NOT NULL,
	`schedule_type` text DEFAULT 'NONE' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`, `version`)
);
--> statement-breakpoint
CREATE INDEX `launch_plans_project_domain_created_idx` ON `launch_plans` (`project`,`domain`,`created_at`);--> statement-breakpoint
CREATE INDEX `launch_plans_project_domain_name_created_idx` ON `launch_plans` (`project`,`domain`,`name`,`created_at`);--> statement-breakpoint
CREATE INDEX `launch_plans_active_idx` ON `launch_plans` (`project`,`domain`,`state`,`name`);--> statement-breakpoint
CREATE INDEX `launch_plans_workflow_idx` ON `launch_plans` (`workflow_project`,`workflow_domain`,`workflow_name`,`workflow_version`);--> statement-breakpoint
CREATE TABLE `named_entity_metadata` (
	`resource_type` integer NOT NULL,
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`state` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`resource_type`, `project`, `domain`, `name`)
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`closure` blob NOT NULL,
	`digest` blob NOT NULL,
	`type` text NOT NULL,
	`short_description` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`, `version`)
);
--> statement-breakpoint
CREATE INDEX `tasks_project_domain_created_idx` ON `tasks` (`project`,`domain`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_project_domain_name_created_idx` ON `tasks` (`project`,`domain`,`name`,`created_at`);--> statement-breakpoint
CREATE TABLE `workflows` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`closure` blob NOT NULL,
	`typed_interface` blob,
	`digest` blob NOT NULL,
	`short_description` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`, `version`)
);
--> statement-breakpoint
CREATE INDEX `workflows_project_domain_created_idx` ON `workflows` (`project`,`domain`,`created_at`);--> statement-breakpoint
CREATE INDEX `workflows_project_domain_name_created_idx` ON `workflows` (`project`,`domain`,`name`,`created_at`);
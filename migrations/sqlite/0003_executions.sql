CREATE TABLE `execution_tags` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`key` text NOT NULL,
	`value` text DEFAULT '' NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`, `key`, `value`)
);
--> statement-breakpoint
CREATE INDEX `execution_tags_key_value_idx` ON `execution_tags` (`key`,`value`);--> statement-breakpoint
CREATE TABLE `executions` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`launch_plan_project` text DEFAULT '' NOT NULL,
	`launch_plan_domain` text DEFAULT '' NOT NULL,
	`launch_plan_name` text DEFAULT '' NOT NULL,
	`launch_plan_version` text DEFAULT '' NOT NULL,
	`workflow_project` text NOT NULL,
	`workflow_domain` text NOT NULL,
	`workflow_name` text NOT NULL,
	`workflow_version` text NOT NULL,
	`task_project` text DEFAULT '' NOT NULL,
	`task_domain` text DEFAULT '' NOT NULL,
	`task_name` text DEFAULT '' NOT NULL,
	`task_version` text DEFAULT '' NOT NULL,
	`phase` text DEFAULT 'UNDEFINED' NOT NULL,
	`spec` blob NOT NULL,
	`closure` blob NOT NULL,
	`started_at` integer,
	`duration_ns` integer,
	`abort_cause` text DEFAULT '' NOT NULL,
	`mode` integer DEFAULT 0 NOT NULL,
	`user` text DEFAULT '' NOT NULL,
	`state` integer DEFAULT 0 NOT NULL,
	`launch_entity` text NOT NULL,
	`cluster` text DEFAULT '' NOT NULL,
	`inputs_uri` text DEFAULT '' NOT NULL,
	`user_inputs_uri` text DEFAULT '' NOT NULL,
	`error_kind` text,
	`error_code` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`)
);
--> statement-breakpoint
CREATE INDEX `executions_created_idx` ON `executions` (`project`,`domain`,`created_at`);--> statement-breakpoint
CREATE INDEX `executions_launch_plan_idx` ON `executions` (`project`,`domain`,`launch_plan_name`,`created_at`);--> statement-breakpoint
CREATE INDEX `executions_workflow_idx` ON `executions` (`project`,`domain`,`workflow_name`,`created_at`);--> statement-breakpoint
CREATE INDEX `executions_task_idx` ON `executions` (`project`,`domain`,`task_name`,`created_at`);--> statement-breakpoint
CREATE INDEX `executions_phase_idx` ON `executions` (`phase`);
CREATE TABLE `node_executions` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`node_id` text NOT NULL,
	`phase` text NOT NULL,
	`closure` blob NOT NULL,
	`metadata` blob NOT NULL,
	`input_uri` text DEFAULT '' NOT NULL,
	`parent_node_id` text,
	`parent_task_execution` text,
	`started_at` integer,
	`duration_ns` integer,
	`error_kind` text,
	`error_code` text,
	`event_version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`, `node_id`)
);
--> statement-breakpoint
CREATE INDEX `node_executions_parent_idx` ON `node_executions` (`project`,`domain`,`name`,`parent_node_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `node_executions_parent_task_idx` ON `node_executions` (`parent_task_execution`);
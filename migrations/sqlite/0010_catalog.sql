CREATE TABLE `catalog_entries` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`dataset_name` text NOT NULL,
	`dataset_version` text NOT NULL,
	`tag` text NOT NULL,
	`cache_version` text NOT NULL,
	`artifact_id` text NOT NULL,
	`outputs_uri` text NOT NULL,
	`source_execution_project` text NOT NULL,
	`source_execution_domain` text NOT NULL,
	`source_execution_name` text NOT NULL,
	`source_node_id` text NOT NULL,
	`source_retry_attempt` integer NOT NULL,
	`source_task_project` text NOT NULL,
	`source_task_domain` text NOT NULL,
	`source_task_name` text NOT NULL,
	`source_task_version` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `dataset_name`, `dataset_version`, `tag`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `catalog_entries_artifact_id_idx` ON `catalog_entries` (`artifact_id`);--> statement-breakpoint
CREATE TABLE `catalog_reservations` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`dataset_name` text NOT NULL,
	`dataset_version` text NOT NULL,
	`tag` text NOT NULL,
	`owner_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`heartbeat_ms` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `dataset_name`, `dataset_version`, `tag`)
);

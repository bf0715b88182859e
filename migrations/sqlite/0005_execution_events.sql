CREATE TABLE `execution_events` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`phase` text NOT NULL,
	`producer_id` text DEFAULT '' NOT NULL,
	`occurred_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`, `phase`)
);

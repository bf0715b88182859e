CREATE TABLE `signals` (
	`project` text NOT NULL,
	`domain` text NOT NULL,
	`name` text NOT NULL,
	`signal_id` text NOT NULL,
	`type` blob NOT NULL,
	`value` blob,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project`, `domain`, `name`, `signal_id`)
);

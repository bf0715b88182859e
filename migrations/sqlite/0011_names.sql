CREATE INDEX `named_entity_metadata_state_name_idx` ON `named_entity_metadata` (`resource_type`,`project`,`domain`,`state`,`name`);--> statement-breakpoint
-- Backfill of the name table: every name with a version gets its row (ACTIVE, no description,
-- created when its first version was); rows of names with no version are dropped, since lists
-- and GetNamedEntity never showed them.
INSERT INTO `named_entity_metadata` (`resource_type`, `project`, `domain`, `name`, `created_at`, `updated_at`) SELECT 1, `project`, `domain`, `name`, min(`created_at`), min(`created_at`) FROM `tasks` WHERE true GROUP BY `project`, `domain`, `name` ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO `named_entity_metadata` (`resource_type`, `project`, `domain`, `name`, `created_at`, `updated_at`) SELECT 2, `project`, `domain`, `name`, min(`created_at`), min(`created_at`) FROM `workflows` WHERE true GROUP BY `project`, `domain`, `name` ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO `named_entity_metadata` (`resource_type`, `project`, `domain`, `name`, `created_at`, `updated_at`) SELECT 3, `project`, `domain`, `name`, min(`created_at`), min(`created_at`) FROM `launch_plans` WHERE true GROUP BY `project`, `domain`, `name` ON CONFLICT DO NOTHING;--> statement-breakpoint
DELETE FROM `named_entity_metadata` WHERE NOT EXISTS (
  SELECT 1 FROM `tasks` v WHERE `named_entity_metadata`.`resource_type` = 1 AND v.`project` = `named_entity_metadata`.`project` AND v.`domain` = `named_entity_metadata`.`domain` AND v.`name` = `named_entity_metadata`.`name`
  UNION ALL SELECT 1 FROM `workflows` v WHERE `named_entity_metadata`.`resource_type` = 2 AND v.`project` = `named_entity_metadata`.`project` AND v.`domain` = `named_entity_metadata`.`domain` AND v.`name` = `named_entity_metadata`.`name`
  UNION ALL SELECT 1 FROM `launch_plans` v WHERE `named_entity_metadata`.`resource_type` = 3 AND v.`project` = `named_entity_metadata`.`project` AND v.`domain` = `named_entity_metadata`.`domain` AND v.`name` = `named_entity_metadata`.`name`
);

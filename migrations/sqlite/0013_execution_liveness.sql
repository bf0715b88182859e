CREATE INDEX `executions_domain_updated_idx` ON `executions` (`domain`,`updated_at`);--> statement-breakpoint
/* Node and task executions are written only while their execution's row is in `executions`: an event that
   found its execution just before a deletion moved the row out writes nothing (RAISE(IGNORE) skips the row,
   so the statement reports no row written), instead of leaving rows no deletion will come back for. */
CREATE TRIGGER `node_executions_need_execution` BEFORE INSERT ON `node_executions`
WHEN NOT EXISTS (SELECT 1 FROM `executions` e WHERE e.`project` = NEW.`project` AND e.`domain` = NEW.`domain` AND e.`name` = NEW.`name`)
BEGIN SELECT RAISE(IGNORE); END;
--> statement-breakpoint
CREATE TRIGGER `node_executions_update_need_execution` BEFORE UPDATE ON `node_executions`
WHEN NOT EXISTS (SELECT 1 FROM `executions` e WHERE e.`project` = NEW.`project` AND e.`domain` = NEW.`domain` AND e.`name` = NEW.`name`)
BEGIN SELECT RAISE(IGNORE); END;
--> statement-breakpoint
CREATE TRIGGER `task_executions_need_execution` BEFORE INSERT ON `task_executions`
WHEN NOT EXISTS (SELECT 1 FROM `executions` e WHERE e.`project` = NEW.`execution_project` AND e.`domain` = NEW.`execution_domain` AND e.`name` = NEW.`execution_name`)
BEGIN SELECT RAISE(IGNORE); END;
--> statement-breakpoint
CREATE TRIGGER `task_executions_update_need_execution` BEFORE UPDATE ON `task_executions`
WHEN NOT EXISTS (SELECT 1 FROM `executions` e WHERE e.`project` = NEW.`execution_project` AND e.`domain` = NEW.`execution_domain` AND e.`name` = NEW.`execution_name`)
BEGIN SELECT RAISE(IGNORE); END;
--> statement-breakpoint
/* Signals may name an execution that does not exist (FlyteAdmin never checks), but not one being deleted. */
CREATE TRIGGER `signals_not_being_deleted` BEFORE INSERT ON `signals`
WHEN EXISTS (SELECT 1 FROM `execution_deletions` m WHERE m.`project` = NEW.`project` AND m.`domain` = NEW.`domain` AND m.`name` = NEW.`name`)
BEGIN SELECT RAISE(IGNORE); END;

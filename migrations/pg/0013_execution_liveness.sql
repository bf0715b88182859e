CREATE INDEX "executions_domain_updated_idx" ON "executions" USING btree ("domain","updated_at");--> statement-breakpoint
/* Node and task executions are written only while their execution's row is in `executions`: an event that
   found its execution just before a deletion moved the row out writes nothing (the trigger skips the row,
   so the statement reports no row written), instead of leaving rows no deletion will come back for.
   An insert takes the lock a foreign key would (KEY SHARE on the execution's row): a deletion's DELETE of
   that row waits for the insert's transaction, so its purge sees the new row; an insert behind a deletion
   waits for it, then finds the row gone. Updates only check: their row is there for the purge either way. */
CREATE FUNCTION node_execution_needs_execution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM executions e WHERE e.project = NEW.project AND e.domain = NEW.domain AND e.name = NEW.name FOR KEY SHARE;
  ELSE
    PERFORM 1 FROM executions e WHERE e.project = NEW.project AND e.domain = NEW.domain AND e.name = NEW.name;
  END IF;
  IF NOT FOUND THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER node_executions_need_execution BEFORE INSERT OR UPDATE ON node_executions FOR EACH ROW EXECUTE FUNCTION node_execution_needs_execution();
--> statement-breakpoint
CREATE FUNCTION task_execution_needs_execution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM executions e WHERE e.project = NEW.execution_project AND e.domain = NEW.execution_domain AND e.name = NEW.execution_name FOR KEY SHARE;
  ELSE
    PERFORM 1 FROM executions e WHERE e.project = NEW.execution_project AND e.domain = NEW.execution_domain AND e.name = NEW.execution_name;
  END IF;
  IF NOT FOUND THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER task_executions_need_execution BEFORE INSERT OR UPDATE ON task_executions FOR EACH ROW EXECUTE FUNCTION task_execution_needs_execution();
--> statement-breakpoint
/* Signals may name an execution that does not exist (FlyteAdmin never checks), but not one being deleted.
   Locking the execution's row, when there is one, orders the insert against a deletion's mark: after
   waiting for it, the mark is visible to the check that follows. */
CREATE FUNCTION signal_needs_no_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM executions e WHERE e.project = NEW.project AND e.domain = NEW.domain AND e.name = NEW.name FOR KEY SHARE;
  IF EXISTS (SELECT 1 FROM execution_deletions m WHERE m.project = NEW.project AND m.domain = NEW.domain AND m.name = NEW.name) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER signals_not_being_deleted BEFORE INSERT ON signals FOR EACH ROW EXECUTE FUNCTION signal_needs_no_deletion();

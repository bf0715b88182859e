CREATE TABLE "node_executions" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"node_id" text NOT NULL,
	"phase" text NOT NULL,
	"closure" "bytea" NOT NULL,
	"metadata" "bytea" NOT NULL,
	"input_uri" text DEFAULT '' NOT NULL,
	"parent_node_id" text,
	"parent_task_execution" text,
	"started_at" timestamp (3) with time zone,
	"duration_ns" bigint,
	"error_kind" text,
	"error_code" text,
	"event_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "node_executions_project_domain_name_node_id_pk" PRIMARY KEY("project","domain","name","node_id")
);
--> statement-breakpoint
CREATE INDEX "node_executions_parent_idx" ON "node_executions" USING btree ("project","domain","name","parent_node_id","created_at");--> statement-breakpoint
CREATE INDEX "node_executions_parent_task_idx" ON "node_executions" USING btree ("parent_task_execution");
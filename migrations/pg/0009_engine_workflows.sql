CREATE TABLE "engine_workflows" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"definition" text NOT NULL,
	"status" text NOT NULL,
	"version" integer NOT NULL,
	"active" boolean NOT NULL,
	"abort_cause" text,
	"next_wake_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "engine_workflows_project_domain_name_pk" PRIMARY KEY("project","domain","name")
);
--> statement-breakpoint
CREATE INDEX "engine_workflows_active_idx" ON "engine_workflows" USING btree ("active","created_at","project","domain","name");
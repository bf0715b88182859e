CREATE TABLE "description_entities" (
	"resource_type" integer NOT NULL,
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"short_description" text DEFAULT '' NOT NULL,
	"long_description" "bytea",
	"link" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "description_entities_resource_type_project_domain_name_version_pk" PRIMARY KEY("resource_type","project","domain","name","version")
);
--> statement-breakpoint
CREATE TABLE "launch_plans" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"workflow_project" text NOT NULL,
	"workflow_domain" text NOT NULL,
	"workflow_name" text NOT NULL,
	"workflow_version" text NOT NULL,
	"spec" "bytea" NOT NULL,
	"closure" "bytea" NOT NULL,
	"state" integer DEFAULT 0 NOT NULL,
	"digest" "bytea" NOT NULL,
	"schedule_type" text DEFAULT 'NONE' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "launch_plans_project_domain_name_version_pk" PRIMARY KEY("project","domain","name","version")
);
--> statement-breakpoint
CREATE TABLE "named_entity_metadata" (
	"resource_type" integer NOT NULL,
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"state" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "named_entity_metadata_resource_type_project_domain_name_pk" PRIMARY KEY("resource_type","project","domain","name")
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"closure" "bytea" NOT NULL,
	"digest" "bytea" NOT NULL,
	"type" text NOT NULL,
	"short_description" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "tasks_project_domain_name_version_pk" PRIMARY KEY("project","domain","name","version")
);
--> statement-breakpoint
CREATE TABLE "workflows" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"closure" "bytea" NOT NULL,
	"typed_interface" "bytea",
	"digest" "bytea" NOT NULL,
	"short_description" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "workflows_project_domain_name_version_pk" PRIMARY KEY("project","domain","name","version")
);
--> statement-breakpoint
CREATE INDEX "description_entities_name_created_idx" ON "description_entities" USING btree ("resource_type","project","domain","name","created_at");--> statement-breakpoint
CREATE INDEX "launch_plans_project_domain_created_idx" ON "launch_plans" USING btree ("project","domain","created_at");--> statement-breakpoint
CREATE INDEX "launch_plans_project_domain_name_created_idx" ON "launch_plans" USING btree ("project","domain","name","created_at");--> statement-breakpoint
CREATE INDEX "launch_plans_active_idx" ON "launch_plans" USING btree ("project","domain","state","name");--> statement-breakpoint
CREATE INDEX "launch_plans_workflow_idx" ON "launch_plans" USING btree ("workflow_project","workflow_domain","workflow_name","workflow_version");--> statement-breakpoint
CREATE INDEX "tasks_project_domain_created_idx" ON "tasks" USING btree ("project","domain","created_at");--> statement-breakpoint
CREATE INDEX "tasks_project_domain_name_created_idx" ON "tasks" USING btree ("project","domain","name","created_at");--> statement-breakpoint
CREATE INDEX "workflows_project_domain_created_idx" ON "workflows" USING btree ("project","domain","created_at");--> statement-breakpoint
CREATE INDEX "workflows_project_domain_name_created_idx" ON "workflows" USING btree ("project","domain","name","created_at");
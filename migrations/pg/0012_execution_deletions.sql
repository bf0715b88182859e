CREATE TABLE "execution_deletions" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"marked_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "execution_deletions_project_domain_name_pk" PRIMARY KEY("project","domain","name")
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "execution_deletions_marked_idx" ON "execution_deletions" USING btree ("marked_at");--> statement-breakpoint
CREATE INDEX "executions_updated_idx" ON "executions" USING btree ("project","domain","updated_at");--> statement-breakpoint
CREATE INDEX "executions_updated_at_idx" ON "executions" USING btree ("updated_at");
CREATE TABLE "resources" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project" text DEFAULT '' NOT NULL,
	"domain" text DEFAULT '' NOT NULL,
	"workflow" text DEFAULT '' NOT NULL,
	"launch_plan" text DEFAULT '' NOT NULL,
	"resource_type" text NOT NULL,
	"priority" integer NOT NULL,
	"attributes" "bytea" NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "resource_idx" ON "resources" USING btree ("project","domain","workflow","launch_plan","resource_type");--> statement-breakpoint
CREATE INDEX "resources_type_priority_idx" ON "resources" USING btree ("resource_type","priority");
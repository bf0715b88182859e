CREATE TABLE "schedulable_entities" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"cron_expression" text,
	"fixed_rate_value" bigint,
	"unit" integer,
	"kickoff_time_input_arg" text DEFAULT '' NOT NULL,
	"active" boolean NOT NULL,
	"activated_at" timestamp (3) with time zone,
	"next_fire_at" timestamp (3) with time zone,
	"retry_at" timestamp (3) with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_fired_at" timestamp (3) with time zone,
	"last_error" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "schedulable_entities_key_idx" ON "schedulable_entities" USING btree ("project","domain","name","version");--> statement-breakpoint
CREATE INDEX "schedulable_entities_due_idx" ON "schedulable_entities" USING btree ("active","next_fire_at");
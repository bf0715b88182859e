CREATE TABLE "execution_events" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"phase" text NOT NULL,
	"producer_id" text DEFAULT '' NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "execution_events_project_domain_name_phase_pk" PRIMARY KEY("project","domain","name","phase")
);

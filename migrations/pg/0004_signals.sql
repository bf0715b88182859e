CREATE TABLE "signals" (
	"project" text NOT NULL,
	"domain" text NOT NULL,
	"name" text NOT NULL,
	"signal_id" text NOT NULL,
	"type" "bytea" NOT NULL,
	"value" "bytea",
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "signals_project_domain_name_signal_id_pk" PRIMARY KEY("project","domain","name","signal_id")
);

CREATE TABLE "artifact_data" (
	"dataset_uuid" text NOT NULL,
	"artifact_id" text NOT NULL,
	"name" text NOT NULL,
	"position" integer NOT NULL,
	"value" "bytea" NOT NULL,
	CONSTRAINT "artifact_data_pk" PRIMARY KEY("dataset_uuid","artifact_id","name")
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"dataset_uuid" text NOT NULL,
	"artifact_id" text NOT NULL,
	"metadata" "bytea" NOT NULL,
	"data_bytes" integer NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "artifacts_pk" PRIMARY KEY("dataset_uuid","artifact_id")
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"project" text NOT NULL,
	"name" text NOT NULL,
	"domain" text NOT NULL,
	"version" text NOT NULL,
	"uuid" text NOT NULL,
	"metadata" "bytea" NOT NULL,
	"partition_keys" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "datasets_pk" PRIMARY KEY("project","name","domain","version")
);
--> statement-breakpoint
CREATE TABLE "partitions" (
	"dataset_uuid" text NOT NULL,
	"artifact_id" text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "partitions_pk" PRIMARY KEY("dataset_uuid","artifact_id","key")
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"project" text NOT NULL,
	"name" text NOT NULL,
	"domain" text NOT NULL,
	"version" text NOT NULL,
	"tag_name" text NOT NULL,
	"owner_id" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "reservations_pk" PRIMARY KEY("project","name","domain","version","tag_name")
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"dataset_uuid" text NOT NULL,
	"tag_name" text NOT NULL,
	"artifact_id" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "tags_pk" PRIMARY KEY("dataset_uuid","tag_name")
);
--> statement-breakpoint
DROP TABLE "catalog_entries" CASCADE;--> statement-breakpoint
DROP TABLE "catalog_reservations" CASCADE;--> statement-breakpoint
CREATE INDEX "artifacts_dataset_created_at_idx" ON "artifacts" USING btree ("dataset_uuid","created_at","artifact_id");--> statement-breakpoint
CREATE INDEX "artifacts_artifact_id_idx" ON "artifacts" USING btree ("artifact_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_uuid_idx" ON "datasets" USING btree ("uuid");--> statement-breakpoint
CREATE INDEX "datasets_created_at_idx" ON "datasets" USING btree ("created_at","uuid");--> statement-breakpoint
CREATE INDEX "datasets_project_domain_idx" ON "datasets" USING btree ("project","domain","created_at");--> statement-breakpoint
CREATE INDEX "datasets_name_idx" ON "datasets" USING btree ("name","version");--> statement-breakpoint
CREATE INDEX "partitions_key_value_idx" ON "partitions" USING btree ("dataset_uuid","key","value");--> statement-breakpoint
CREATE INDEX "tags_artifact_idx" ON "tags" USING btree ("dataset_uuid","artifact_id");
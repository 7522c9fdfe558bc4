CREATE TABLE "memberships" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "memberships_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"user_id" integer NOT NULL,
	"buyer_id" integer,
	"supplier_id" integer,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memberships_one_target" CHECK (("memberships"."buyer_id" is null) <> ("memberships"."supplier_id" is null)),
	CONSTRAINT "memberships_role_fits_target" CHECK (("memberships"."buyer_id" is null and "memberships"."role" = 'member') or ("memberships"."buyer_id" is not null and "memberships"."role" in ('admin','editor','viewer')))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "users_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text,
	"email_verified_at" timestamp with time zone,
	"is_platform_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"erased_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "buyer_organisations" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "buyer_organisations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"identifier_scheme" text,
	"identifier_id" text,
	"street_address" text,
	"locality" text,
	"postcode" text,
	"contact_email" text,
	"contact_phone" text,
	"website" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppliers" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "suppliers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"legal_form" text NOT NULL,
	"companies_house_number" text,
	"charity_number" text,
	"charity_register" text,
	"size" text NOT NULL,
	"vcse" boolean DEFAULT false NOT NULL,
	"street_address" text,
	"locality" text,
	"postcode" text,
	"local" boolean DEFAULT false NOT NULL,
	"offer" text DEFAULT '' NOT NULL,
	"cpv_codes" text[] DEFAULT '{}' NOT NULL,
	"website" text,
	"directory_consent" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cpv_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"description" text NOT NULL,
	"division" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "award_suppliers" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "award_suppliers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"award_id" integer NOT NULL,
	"supplier_id" integer,
	"name" text NOT NULL,
	"companies_house_number" text,
	"charity_number" text,
	"postcode" text,
	"size" text,
	"local" boolean DEFAULT false NOT NULL,
	"vcse" boolean DEFAULT false NOT NULL,
	"value_pence" bigint
);
--> statement-breakpoint
CREATE TABLE "awards" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "awards_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"opportunity_id" integer NOT NULL,
	"lot_id" integer,
	"awarded_on" date NOT NULL,
	"value_pence" bigint,
	"contract_start" date,
	"contract_end" date,
	"social_value_commitments" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lots" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"opportunity_id" integer NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"value_pence" bigint
);
--> statement-breakpoint
CREATE TABLE "opportunities" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "opportunities_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"buyer_id" integer NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"stage" text DEFAULT 'open' NOT NULL,
	"reference" text,
	"title" text NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"procedure" text DEFAULT 'open' NOT NULL,
	"main_category" text NOT NULL,
	"cpv_codes" text[] DEFAULT '{}' NOT NULL,
	"value_min_pence" bigint,
	"value_max_pence" bigint,
	"value_includes_vat" boolean DEFAULT false NOT NULL,
	"currency" text DEFAULT 'GBP' NOT NULL,
	"delivery_location" text,
	"suitable_for_sme" boolean DEFAULT false NOT NULL,
	"suitable_for_vcse" boolean DEFAULT false NOT NULL,
	"reservation" text DEFAULT 'none' NOT NULL,
	"social_value_local_jobs" boolean DEFAULT false NOT NULL,
	"social_value_apprenticeships" boolean DEFAULT false NOT NULL,
	"social_value_other" text,
	"publish_at" timestamp with time zone,
	"engagement_event_at" timestamp with time zone,
	"engagement_event_details" text,
	"questions_deadline" timestamp with time zone,
	"tender_deadline" timestamp with time zone,
	"expected_award_date" date,
	"contract_start" date,
	"contract_end" date,
	"extensions" text,
	"contact_name" text,
	"contact_email" text,
	"contact_phone" text,
	"response_method" text DEFAULT 'portal' NOT NULL,
	"external_response_url" text,
	"external_response_reference" text,
	"official_notice_id" text,
	"official_notice_url" text,
	"source" text DEFAULT 'portal' NOT NULL,
	"source_id" text,
	"cancellation_reason" text,
	"first_published_at" timestamp with time zone,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "opportunities_value_range" CHECK ("opportunities"."value_min_pence" is null or "opportunities"."value_max_pence" is null or "opportunities"."value_min_pence" <= "opportunities"."value_max_pence"),
	CONSTRAINT "opportunities_value_positive" CHECK (coalesce("opportunities"."value_min_pence", 0) >= 0 and coalesce("opportunities"."value_max_pence", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "releases_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"opportunity_id" integer NOT NULL,
	"release_id" text NOT NULL,
	"ocid" text NOT NULL,
	"sequence" integer NOT NULL,
	"tags" text[] NOT NULL,
	"stage" text NOT NULL,
	"cancelled" boolean DEFAULT false NOT NULL,
	"buyer_id" integer NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"first_published_at" timestamp with time zone NOT NULL,
	"change_note" text,
	"is_latest" boolean DEFAULT true NOT NULL,
	"snapshot" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_documents" (
	"opportunity_id" integer PRIMARY KEY NOT NULL,
	"release_id" integer NOT NULL,
	"buyer_id" integer NOT NULL,
	"title" text NOT NULL,
	"summary" text NOT NULL,
	"description" text NOT NULL,
	"cpv_text" text NOT NULL,
	"lot_text" text NOT NULL,
	"buyer_name" text NOT NULL,
	"document" "tsvector" NOT NULL,
	"stage" text NOT NULL,
	"cancelled" boolean DEFAULT false NOT NULL,
	"main_category" text NOT NULL,
	"cpv_divisions" text[] NOT NULL,
	"value_max_pence" bigint,
	"suitable_for_sme" boolean NOT NULL,
	"suitable_for_vcse" boolean NOT NULL,
	"reservation" text NOT NULL,
	"tender_deadline" timestamp with time zone,
	"first_published_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" integer,
	"actor_label" text NOT NULL,
	"buyer_id" integer,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"action" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"request_id" text
);
--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_buyer_id_buyer_organisations_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."buyer_organisations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "award_suppliers" ADD CONSTRAINT "award_suppliers_award_id_awards_id_fk" FOREIGN KEY ("award_id") REFERENCES "public"."awards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "award_suppliers" ADD CONSTRAINT "award_suppliers_supplier_id_suppliers_id_fk" FOREIGN KEY ("supplier_id") REFERENCES "public"."suppliers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "awards" ADD CONSTRAINT "awards_opportunity_id_opportunities_id_fk" FOREIGN KEY ("opportunity_id") REFERENCES "public"."opportunities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "awards" ADD CONSTRAINT "awards_lot_id_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "public"."lots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lots" ADD CONSTRAINT "lots_opportunity_id_opportunities_id_fk" FOREIGN KEY ("opportunity_id") REFERENCES "public"."opportunities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opportunities" ADD CONSTRAINT "opportunities_buyer_id_buyer_organisations_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."buyer_organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opportunities" ADD CONSTRAINT "opportunities_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_opportunity_id_opportunities_id_fk" FOREIGN KEY ("opportunity_id") REFERENCES "public"."opportunities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_buyer_id_buyer_organisations_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."buyer_organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_documents" ADD CONSTRAINT "search_documents_opportunity_id_opportunities_id_fk" FOREIGN KEY ("opportunity_id") REFERENCES "public"."opportunities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_documents" ADD CONSTRAINT "search_documents_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_documents" ADD CONSTRAINT "search_documents_buyer_id_buyer_organisations_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."buyer_organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_buyer_id_buyer_organisations_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."buyer_organisations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "memberships_user_buyer_key" ON "memberships" USING btree ("user_id","buyer_id") WHERE "memberships"."buyer_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "memberships_user_supplier_key" ON "memberships" USING btree ("user_id","supplier_id") WHERE "memberships"."supplier_id" is not null;--> statement-breakpoint
CREATE INDEX "memberships_buyer_idx" ON "memberships" USING btree ("buyer_id");--> statement-breakpoint
CREATE INDEX "memberships_supplier_idx" ON "memberships" USING btree ("supplier_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_key" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "buyer_organisations_slug_key" ON "buyer_organisations" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "suppliers_directory_idx" ON "suppliers" USING btree ("directory_consent","name");--> statement-breakpoint
CREATE INDEX "cpv_codes_division_idx" ON "cpv_codes" USING btree ("division");--> statement-breakpoint
CREATE INDEX "award_suppliers_award_idx" ON "award_suppliers" USING btree ("award_id");--> statement-breakpoint
CREATE INDEX "award_suppliers_supplier_idx" ON "award_suppliers" USING btree ("supplier_id");--> statement-breakpoint
CREATE INDEX "awards_opportunity_idx" ON "awards" USING btree ("opportunity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "lots_opportunity_position_key" ON "lots" USING btree ("opportunity_id","position");--> statement-breakpoint
CREATE INDEX "opportunities_buyer_status_idx" ON "opportunities" USING btree ("buyer_id","status");--> statement-breakpoint
CREATE INDEX "opportunities_due_publish_idx" ON "opportunities" USING btree ("publish_at") WHERE "opportunities"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "opportunities_due_close_idx" ON "opportunities" USING btree ("tender_deadline") WHERE "opportunities"."status" = 'published' and "opportunities"."stage" = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "opportunities_source_key" ON "opportunities" USING btree ("source","source_id") WHERE "opportunities"."source_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "releases_opportunity_sequence_key" ON "releases" USING btree ("opportunity_id","sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_latest_key" ON "releases" USING btree ("opportunity_id") WHERE "releases"."is_latest";--> statement-breakpoint
CREATE INDEX "releases_latest_newest_idx" ON "releases" USING btree ("first_published_at" DESC NULLS LAST,"opportunity_id" DESC NULLS LAST) WHERE "releases"."is_latest";--> statement-breakpoint
CREATE INDEX "releases_latest_stage_idx" ON "releases" USING btree ("stage","first_published_at" DESC NULLS LAST) WHERE "releases"."is_latest";--> statement-breakpoint
CREATE UNIQUE INDEX "releases_release_id_key" ON "releases" USING btree ("release_id");--> statement-breakpoint
CREATE INDEX "search_documents_document_idx" ON "search_documents" USING gin ("document");--> statement-breakpoint
CREATE INDEX "search_documents_title_trgm_idx" ON "search_documents" USING gin ("title" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "search_documents_stage_idx" ON "search_documents" USING btree ("stage","first_published_at");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity_type","entity_id","at");--> statement-breakpoint
CREATE INDEX "audit_log_buyer_idx" ON "audit_log" USING btree ("buyer_id","at");
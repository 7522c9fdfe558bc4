CREATE INDEX "search_documents_title_tsv_idx" ON "search_documents" USING gin (to_tsvector('portal_english', "title"));--> statement-breakpoint
CREATE INDEX "search_documents_newest_idx" ON "search_documents" USING btree ("first_published_at","opportunity_id");--> statement-breakpoint
CREATE INDEX "search_documents_value_idx" ON "search_documents" USING btree ("value_max_pence" DESC NULLS LAST,"opportunity_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "search_documents_closing_idx" ON "search_documents" USING btree (("cancelled" or "stage" <> 'open'),"tender_deadline","opportunity_id");--> statement-breakpoint
CREATE INDEX "search_documents_buyer_idx" ON "search_documents" USING btree ("buyer_id");
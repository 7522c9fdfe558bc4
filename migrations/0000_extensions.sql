-- Extensions and the accent-folding English text-search configuration used by search.
-- pg_trgm: typo-tolerant matching; unaccent: "café" finds "cafe". Both ship with PostgreSQL.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS unaccent;--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'portal_english') THEN
    CREATE TEXT SEARCH CONFIGURATION portal_english (COPY = pg_catalog.english);
    ALTER TEXT SEARCH CONFIGURATION portal_english
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
  END IF;
END
$$;

import { index, pgTable, text } from 'drizzle-orm/pg-core';

/** The Common Procurement Vocabulary (CPV 2008), loaded from data/cpv-2008.csv by a migration. */
export const cpvCodes = pgTable(
  'cpv_codes',
  {
    /** Eight digits, without the check digit. */
    code: text('code').primaryKey(),
    description: text('description').notNull(),
    /** The first two digits: the division, used for facets and filters. */
    division: text('division').notNull(),
  },
  (t) => [index('cpv_codes_division_idx').on(t.division)],
);

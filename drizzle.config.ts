import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL migrations from the tables; `npm run db:migrate` applies them.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/opportunity_portal' },
});

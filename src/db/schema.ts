// Every table, re-exported for drizzle (queries and drizzle-kit). Tables live in their modules.
export * from '../modules/accounts/accounts.table.js';
export * from '../modules/buyers/buyers.table.js';
export * from '../modules/suppliers/suppliers.table.js';
export * from '../modules/cpv/cpv.table.js';
export * from '../modules/opportunities/opportunities.table.js';
export * from '../modules/search/search.table.js';
export * from '../modules/audit/audit.table.js';
export * from '../modules/accounts/sessions.table.js';
export * from '../modules/accounts/tokens.table.js';
export * from '../modules/security/rate-limits.table.js';

/**
 * The search port as the app uses it: the backend chosen by configuration (Meilisearch when
 * MEILISEARCH_URL is set, else PostgreSQL full-text search) behind one `search()`, with the
 * synonyms file loaded once. Routes and the API call `app.opportunitySearch` (src/plugins/search.ts).
 *
 * Fallback: PostgreSQL always holds the search documents (written in the same transaction as each
 * release), so when Meilisearch fails — refused, no answer within its timeout (1.5 s), an error
 * status — the search is answered from PostgreSQL instead. The failure opens a circuit breaker:
 * for `retryAfterMs` (30 s) every search goes straight to PostgreSQL without waiting for
 * Meilisearch, then one search tries Meilisearch again (the others keep using PostgreSQL until it
 * answers). A warning is logged at most once per `warnEveryMs` (a minute), with the reason but
 * never the API key; recovery is logged too. `ready()` (for /health/ready) says which backend
 * answers and why.
 */
import { inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Database } from '../../db/client.js';
import { buyerOrganisations } from '../buyers/buyers.table.js';
import { cpvCodes } from '../cpv/cpv.table.js';
import { createMeilisearchSearch, describeMeilisearchError, isUnreachable, type FacetLabeller } from './meilisearch.backend.js';
import { createPostgresSearch } from './postgres.backend.js';
import type { SearchBackend, SearchQuery, SearchResult } from './search.port.js';
import { loadSynonyms } from './synonyms.js';

export interface SearchReadiness {
  /** The configured backend answers searches (false also when PostgreSQL is answering for Meilisearch). */
  ok: boolean;
  /** ok; degraded: Meilisearch fails and PostgreSQL answers instead; error: search cannot answer. */
  status: 'ok' | 'degraded' | 'error';
  detail: string;
  /** The backend answering searches now. */
  backend: SearchBackend['name'];
}

export interface SearchService {
  /** Runs a prepared query (see prepareSearchQuery) on the configured backend, or on PostgreSQL when Meilisearch fails. */
  search(query: SearchQuery): Promise<SearchResult & { backend: SearchBackend['name'] }>;
  /** For /health/ready. */
  ready(): Promise<SearchReadiness>;
}

export interface MeilisearchFallbackOptions {
  /** Per Meilisearch request (default 1.5 s). */
  timeoutMs?: number;
  /** How long searches skip Meilisearch after it failed (default 30 s). */
  retryAfterMs?: number;
  /** At most one warning per this long (default a minute). */
  warnEveryMs?: number;
  /** The Meilisearch backend to use instead of one built from the configuration (tests). */
  backend?: SearchBackend;
}

export interface SearchServiceOptions {
  config: Config;
  database: Pick<Database, 'db'>;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  clock?: () => Date;
  meilisearch?: MeilisearchFallbackOptions;
}

export function createSearchService(options: SearchServiceOptions): SearchService {
  const { config, logger } = options;
  const synonyms = loadSynonyms(config.search.synonymsFile);
  const clock = options.clock ? { clock: options.clock } : {};
  const postgres = createPostgresSearch({ database: options.database, synonyms, ...clock });
  const url = config.search.meilisearchUrl;
  const meili: SearchBackend | null = url
    ? (options.meilisearch?.backend ??
      createMeilisearchSearch({
        url,
        apiKey: config.search.meilisearchApiKey,
        index: config.search.meilisearchIndex,
        synonyms,
        facetLabels: postgresFacetLabels(options.database),
        ...(options.meilisearch?.timeoutMs !== undefined ? { timeoutMs: options.meilisearch.timeoutMs } : {}),
        ...clock,
      }))
    : null;
  const retryAfterMs = options.meilisearch?.retryAfterMs ?? 30_000;
  const warnEveryMs = options.meilisearch?.warnEveryMs ?? 60_000;

  // The circuit breaker (wall time, not the injectable clock, which tests move by days).
  let downUntil = 0;
  let lastReason: string | null = null;
  let lastWarnAt = Number.NEGATIVE_INFINITY;
  let probing = false;

  /** Opens the breaker, and warns unless it did so within warnEveryMs. */
  function failed(reason: string, during: string): void {
    const now = Date.now();
    downUntil = now + retryAfterMs;
    lastReason = reason;
    if (now - lastWarnAt >= warnEveryMs) {
      lastWarnAt = now;
      logger.warn(
        { backend: 'meilisearch', fallback: 'postgres', reason, retryInSeconds: Math.round(retryAfterMs / 1000) },
        `Meilisearch ${during} failed (${reason}): searching in PostgreSQL instead`,
      );
    }
  }

  /** Why a search failed: the reason only, as the error object may carry the request, with the API key in a header. */
  function reasonOf(error: unknown): string {
    return `${isUnreachable(error) ? 'unreachable' : 'cannot answer'}: ${describeMeilisearchError(error, config.search.meilisearchApiKey)}`;
  }

  function recovered(): void {
    if (lastReason !== null) logger.info({ backend: 'meilisearch' }, 'Meilisearch answers searches again');
    downUntil = 0;
    lastReason = null;
  }

  return {
    async search(query) {
      if (meili) {
        const open = Date.now() < downUntil;
        // After the pause, one search at a time tries Meilisearch again.
        const probe = !open && lastReason !== null;
        if (!open && !(probe && probing)) {
          if (probe) probing = true;
          try {
            const result = await meili.search(query);
            recovered();
            return { ...result, backend: meili.name };
          } catch (error) {
            failed(reasonOf(error), 'search');
          } finally {
            if (probe) probing = false;
          }
        }
      }
      return { ...(await postgres.search(query)), backend: postgres.name };
    },

    async ready() {
      const pg = await postgres.ready();
      if (!meili) return { ok: pg.ok, status: pg.ok ? 'ok' : 'error', detail: pg.detail, backend: postgres.name };
      const m = await meili.ready();
      if (m.ok && Date.now() >= downUntil) return { ok: true, status: 'ok', detail: m.detail, backend: meili.name };
      // Meilisearch is down (or its searches fail although it reports healthy): PostgreSQL answers.
      const reason = m.ok ? (lastReason ?? 'searches fail') : m.detail;
      if (!m.ok && Date.now() >= downUntil) failed(m.detail, 'readiness check');
      const verb = /unreachable/.test(reason) ? 'unreachable' : 'cannot answer';
      return {
        ok: false,
        status: pg.ok ? 'degraded' : 'error',
        detail: `Meilisearch ${verb}: falling back to PostgreSQL (${reason}). ${pg.detail}`,
        backend: postgres.name,
      };
    },
  };
}

/**
 * Facet labels for the Meilisearch backend, from PostgreSQL: buyer names (kept for a minute) and
 * CPV division descriptions (reference data, kept for good).
 */
export function postgresFacetLabels(database: Pick<Database, 'db'>): FacetLabeller {
  const buyers = new Map<number, { name: string; at: number }>();
  const divisions = new Map<string, string>();
  return async ({ buyerIds, cpvDivisions }) => {
    const now = Date.now();
    const buyerMisses = buyerIds.filter((id) => Number.isSafeInteger(id) && !(buyers.get(id) && now - buyers.get(id)!.at < 60_000));
    const divisionMisses = cpvDivisions.filter((d) => /^\d{2}$/.test(d) && !divisions.has(d));
    if (buyerMisses.length) {
      const rows = await database.db.select({ id: buyerOrganisations.id, name: buyerOrganisations.name }).from(buyerOrganisations).where(inArray(buyerOrganisations.id, buyerMisses));
      for (const row of rows) buyers.set(row.id, { name: row.name, at: now });
    }
    if (divisionMisses.length) {
      const codes = divisionMisses.map((d) => `${d}000000`);
      const rows = await database.db.select({ code: cpvCodes.code, description: cpvCodes.description }).from(cpvCodes).where(inArray(cpvCodes.code, codes));
      for (const row of rows) divisions.set(row.code.slice(0, 2), row.description);
      // Divisions without a description are not asked for again.
      for (const d of divisionMisses) if (!divisions.has(d)) divisions.set(d, '');
    }
    return {
      buyers: new Map(buyerIds.filter((id) => buyers.has(id)).map((id) => [id, buyers.get(id)!.name])),
      cpvDivisions: new Map(cpvDivisions.filter((d) => divisions.get(d)).map((d) => [d, divisions.get(d)!])),
    };
  };
}

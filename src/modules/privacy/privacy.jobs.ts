/**
 * Keeps short-lived personal data only as long as the privacy notice says (retention.ts): every
 * hour it removes ended sign-in sessions, email-link records a week after they expired, and
 * attempt counters a day old. Each delete is a single statement, so several workers running it
 * at once only repeat harmless work.
 */
import { lt } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sessions } from '../accounts/sessions.table.js';
import { userTokens } from '../accounts/tokens.table.js';
import { defineJob } from '../jobs/job-definition.js';
import { rateLimitCounters } from '../security/rate-limits.table.js';
import { COUNTER_KEEP_HOURS, TOKEN_KEEP_DAYS_AFTER_EXPIRY } from './retention.js';

export const PRUNE_PERSONAL_DATA_JOB = 'privacy.prune-expired';

export interface PruneCounts {
  sessions: number;
  emailLinks: number;
  attemptCounters: number;
}

export async function pruneExpiredPersonalData(db: DbOrTx, now = new Date()): Promise<PruneCounts> {
  const endedSessions = await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ idHash: sessions.idHash });
  const oldLinks = await db
    .delete(userTokens)
    .where(lt(userTokens.expiresAt, new Date(now.getTime() - TOKEN_KEEP_DAYS_AFTER_EXPIRY * 86_400_000)))
    .returning({ id: userTokens.id });
  const oldCounters = await db
    .delete(rateLimitCounters)
    .where(lt(rateLimitCounters.windowStart, new Date(now.getTime() - COUNTER_KEEP_HOURS * 3_600_000)))
    .returning({ key: rateLimitCounters.key });
  return { sessions: endedSessions.length, emailLinks: oldLinks.length, attemptCounters: oldCounters.length };
}

export const pruneExpiredPersonalDataJob = defineJob({
  name: PRUNE_PERSONAL_DATA_JOB,
  queue: { retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 15 * 60 },
  // Every hour (CLEAN_UP_EVERY_HOURS), at a minute when little else runs.
  schedule: { cron: '23 * * * *' },
  async handle(_job, { database, logger }) {
    const counts = await pruneExpiredPersonalData(database.db);
    if (counts.sessions + counts.emailLinks + counts.attemptCounters > 0) logger.info(counts, 'removed expired personal data');
    return counts;
  },
});

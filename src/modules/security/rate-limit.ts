/**
 * Counting attempts per key (an IP address, an account) in fixed windows kept in PostgreSQL, so
 * that limits hold across instances. `consume` counts one attempt and says whether it is allowed.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';

export interface RateLimitRule {
  /** What is limited, e.g. "sign-in:ip". */
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  retryAfterSeconds: number;
}

export async function consume(db: DbOrTx, rule: RateLimitRule, subject: string, now = new Date()): Promise<RateLimitResult> {
  const windowMs = rule.windowSeconds * 1000;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const key = `${rule.name}:${subject.toLowerCase()}`;
  const result = await db.execute<{ count: number }>(sql`
    insert into rate_limit_counters (key, window_start, count) values (${key}, ${windowStart.toISOString()}, 1)
    on conflict (key, window_start) do update set count = rate_limit_counters.count + 1
    returning count`);
  const count = Number(result.rows[0]?.count ?? 1);
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000));
  return { allowed: count <= rule.limit, count, retryAfterSeconds };
}

/** Forget an account's failures after a successful sign-in. */
export async function reset(db: DbOrTx, rule: RateLimitRule, subject: string): Promise<void> {
  await db.execute(sql`delete from rate_limit_counters where key = ${`${rule.name}:${subject.toLowerCase()}`}`);
}

/** Drop windows that ended more than a day ago (run by a periodic job). */
export async function pruneCounters(db: DbOrTx, now = new Date()): Promise<number> {
  const result = await db.execute(sql`delete from rate_limit_counters where window_start < ${new Date(now.getTime() - 86_400_000).toISOString()}`);
  return result.rowCount ?? 0;
}

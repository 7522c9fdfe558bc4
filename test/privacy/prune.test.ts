// Short-lived personal data is removed as the privacy notice says: ended sessions, email links a
// week after they expired, attempt counters after a day; anything still current stays.
import t from 'tap';
import { issueToken } from '../../src/modules/accounts/tokens.js';
import { PRUNE_PERSONAL_DATA_JOB, pruneExpiredPersonalData, pruneExpiredPersonalDataJob } from '../../src/modules/privacy/privacy.jobs.js';
import { consume } from '../../src/modules/security/rate-limit.js';
import { createTestDatabase } from '../helper.js';
import { createUser } from '../support/auth.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

t.test('removes what has passed its retention and keeps the rest', async (t) => {
  const database = await createTestDatabase(t);
  const user = await createUser(database);
  const now = new Date();
  const insertSession = (id: string, expiresAt: Date) =>
    database.pool.query('insert into sessions (id_hash, user_id, data, expires_at) values ($1, $2, $3, $4)', [id, user.id, '{}', expiresAt]);
  await insertSession('ended', new Date(now.getTime() - 1000));
  await insertSession('current', new Date(now.getTime() + HOUR));
  // A reset link (1 hour) sent 8 days ago expired 7 days and 23 hours ago: gone. One sent 6 days ago stays.
  await issueToken(database.db, { purpose: 'reset_password', email: user.email, userId: user.id, now: new Date(now.getTime() - 8 * DAY) });
  await issueToken(database.db, { purpose: 'reset_password', email: user.email, userId: user.id, now: new Date(now.getTime() - 6 * DAY) });
  const rule = { name: 'sign-in:account', limit: 5, windowSeconds: 900 };
  await consume(database.db, rule, user.email, new Date(now.getTime() - 25 * HOUR));
  await consume(database.db, rule, user.email, new Date(now.getTime() - HOUR));

  const counts = await pruneExpiredPersonalData(database.db, now);
  t.same(counts, { sessions: 1, emailLinks: 1, attemptCounters: 1 });
  const left = async (table: string) => (await database.pool.query(`select count(*)::int as n from ${table}`)).rows[0].n;
  t.equal(await left('sessions'), 1);
  t.equal(await left('user_tokens'), 1);
  t.equal(await left('rate_limit_counters'), 1);
  t.same(await pruneExpiredPersonalData(database.db, now), { sessions: 0, emailLinks: 0, attemptCounters: 0 }, 'running again does nothing');
});

t.test('the clean-up is a scheduled job, hourly', async (t) => {
  t.equal(pruneExpiredPersonalDataJob.name, PRUNE_PERSONAL_DATA_JOB);
  t.match(pruneExpiredPersonalDataJob.schedule?.cron, /^\d+ \* \* \* \*$/);
});

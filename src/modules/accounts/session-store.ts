/**
 * A @fastify/session store on the `sessions` table. Session ids are hashed before they touch the
 * database; the user id is kept in its own column so "sign out everywhere" is one delete.
 */
import { createHash } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import type { Session } from 'fastify';
import type { Db } from '../../db/client.js';
import { sessions } from './sessions.table.js';

type Callback<T = void> = (error?: unknown, result?: T) => void;

interface StoredSession {
  userId?: number;
  cookie?: { expires?: string | Date | null; originalMaxAge?: number | null };
  [key: string]: unknown;
}

export const hashSessionId = (sessionId: string) => createHash('sha256').update(sessionId).digest('hex');

export class PgSessionStore {
  constructor(
    private readonly db: Db,
    private readonly maxAgeMs: number,
  ) {}

  set(sessionId: string, session: Session, callback: Callback): void {
    const data = JSON.parse(JSON.stringify(session)) as StoredSession;
    const expires = data.cookie?.expires ? new Date(data.cookie.expires) : new Date(Date.now() + this.maxAgeMs);
    const row = { idHash: hashSessionId(sessionId), userId: data.userId ?? null, data, expiresAt: expires, updatedAt: new Date() };
    this.db
      .insert(sessions)
      .values(row)
      .onConflictDoUpdate({ target: sessions.idHash, set: { userId: row.userId, data: row.data, expiresAt: row.expiresAt, updatedAt: row.updatedAt } })
      .then(() => callback(), callback);
  }

  get(sessionId: string, callback: Callback<Session | null>): void {
    this.db
      .select({ data: sessions.data, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(eq(sessions.idHash, hashSessionId(sessionId)))
      .then(([row]) => callback(undefined, row && row.expiresAt > new Date() ? (row.data as Session) : null), callback);
  }

  destroy(sessionId: string, callback: Callback): void {
    this.db
      .delete(sessions)
      .where(eq(sessions.idHash, hashSessionId(sessionId)))
      .then(() => callback(), callback);
  }
}

/** Ends every session of a user ("sign out everywhere", password change, erasure). */
export async function destroyUserSessions(db: Db, userId: number): Promise<number> {
  const deleted = await db.delete(sessions).where(eq(sessions.userId, userId)).returning({ idHash: sessions.idHash });
  return deleted.length;
}

export async function pruneExpiredSessions(db: Db, now = new Date()): Promise<number> {
  const deleted = await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ idHash: sessions.idHash });
  return deleted.length;
}

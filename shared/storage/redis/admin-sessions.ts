import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { guardStore } from '../errors';
import type { RedisClient } from './client';
import { adminSessionKey, staffSessionsKey } from './keys';

/**
 * Server-side console sessions in Redis, shared by every admin process, so a
 * logout or a disabled staff member ends a session everywhere at once.
 * Expiry is decided here with the caller's clock (idle and absolute limits);
 * Redis's TTL only collects what nobody will read again.
 */
export interface AdminSession {
  staffId: number;
  csrfToken: string;
  createdAtMs: number;
}

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

export interface AdminSessions {
  /** A new session (a new id at every login); the id goes into the cookie and nowhere else. */
  create(staffId: number, nowMs: number): Promise<{ id: string; session: AdminSession }>;
  /** The session, touched; null when unknown, idle too long or too old. */
  use(id: string, nowMs: number): Promise<AdminSession | null>;
  end(id: string): Promise<void>;
  endAllOf(staffId: number): Promise<void>;
}

const stored = z.object({
  staffId: z.coerce.number().int().positive(),
  csrfToken: z.string().min(1),
  createdAtMs: z.coerce.number().int(),
  lastUsedAtMs: z.coerce.number().int(),
});

export function createAdminSessions(redis: RedisClient, prefix: string, limits: SessionLimits): AdminSessions {
  const keyOf = (id: string) => adminSessionKey(prefix, id);
  return {
    async create(staffId, nowMs) {
      const id = randomBytes(32).toString('base64url');
      const session = { staffId, csrfToken: randomBytes(32).toString('base64url'), createdAtMs: nowMs };
      const key = keyOf(id);
      const index = staffSessionsKey(prefix, staffId);
      await guardStore('redis', () =>
        redis
          .multi()
          .hset(key, { ...session, lastUsedAtMs: nowMs })
          .pexpire(key, limits.maxMs)
          .sadd(index, key)
          .pexpire(index, limits.maxMs)
          .exec(),
      );
      return { id, session };
    },

    async use(id, nowMs) {
      const key = keyOf(id);
      const parsed = stored.safeParse(await guardStore('redis', () => redis.hgetall(key)));
      if (!parsed.success) return null;
      const { lastUsedAtMs, ...session } = parsed.data;
      const maxLeft = session.createdAtMs + limits.maxMs - nowMs;
      if (nowMs - lastUsedAtMs > limits.idleMs || maxLeft <= 0) {
        await guardStore('redis', () => redis.del(key));
        return null;
      }
      await guardStore('redis', () => redis.multi().hset(key, 'lastUsedAtMs', nowMs).pexpire(key, Math.min(limits.idleMs, maxLeft)).exec());
      return session;
    },

    async end(id) {
      await guardStore('redis', () => redis.del(keyOf(id)));
    },

    async endAllOf(staffId) {
      const index = staffSessionsKey(prefix, staffId);
      const keys = await guardStore('redis', () => redis.smembers(index));
      await guardStore('redis', () => redis.del(index, ...keys));
    },
  };
}

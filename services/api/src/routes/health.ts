import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Pool } from '../../../../shared/storage/mysql/pool';
import { selectRows } from '../../../../shared/storage/mysql/pool';

/** Liveness and readiness (both stores answer). */
export function healthRoute(deps: { redis: Redis; pool: Pool }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [redis, mysql] = await Promise.all([
      deps.redis.ping().then(() => 'ok', () => 'unavailable'),
      selectRows(deps.pool, 'SELECT 1').then(() => 'ok', () => 'unavailable'),
    ]);
    res.status(redis === 'ok' && mysql === 'ok' ? 200 : 503).json({ redis, mysql });
  });
  return router;
}

import { Router } from 'express';
import { pingMysql, type Pool } from '#shared/storage/mysql/pool';
import { pingRedis, type Redis } from '#shared/storage/redis/client';

/** Liveness and readiness (both stores answer). */
export function healthRoute(deps: { redis: Redis; pool: Pool }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [redis, mysql] = await Promise.all([
      pingRedis(deps.redis).then(
        () => 'ok',
        () => 'unavailable',
      ),
      pingMysql(deps.pool).then(
        () => 'ok',
        () => 'unavailable',
      ),
    ]);
    res.status(redis === 'ok' && mysql === 'ok' ? 200 : 503).json({ redis, mysql });
  });
  return router;
}

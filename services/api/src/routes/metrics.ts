import { Router } from 'express';
import type { Registry } from 'prom-client';

/** Prometheus text format; mounted on the public app or on the metrics-only one (METRICS_PORT). */
export function metricsRoute(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

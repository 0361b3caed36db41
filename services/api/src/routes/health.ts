import { Router } from 'express';
import type { Readiness } from '#shared/process/readiness';
import type { StoreHealth } from '#shared/storage/store-health';

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: this
 * process can serve — it listens only once started and migrated, and
 * answers 503 from SIGTERM on while it drains). Readiness does not depend on
 * the stores: with Redis down verifications are answered from MySQL, and
 * taking every pod out of the Service would turn that partial outage into a
 * total one. The body reports the last store pings, which also feed
 * `regcloud_store_up`.
 */
export function healthRoute(deps: { readiness: Readiness; storeHealth: StoreHealth }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const isDraining = deps.readiness.isDraining();
    res.status(isDraining ? 503 : 200).json({ status: isDraining ? 'draining' : 'ready', stores: deps.storeHealth.states() });
  });
  return router;
}

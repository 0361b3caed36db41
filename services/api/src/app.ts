import express, { type Express } from 'express';
import helmet from 'helmet';
import { errorHandler, notFound } from '#shared/http/error-handler';
import { accessLog } from '#shared/http/access-log';
import { responseHeaders } from '#shared/http/response-headers';
import type { ApiDeps } from './deps';
import { healthRoute } from './routes/health';
import { mountKeysRoute } from './routes/keys';
import { metricsRoute } from './routes/metrics';
import { mountOpenApiRoute } from './routes/openapi';
import { mountRegistrationsRoute } from './routes/registrations';
import { mountUnbindingsRoute } from './routes/unbindings';
import { mountVerificationsRoute } from './routes/verifications';

/**
 * helmet for a JSON API: the headers that matter when no browser renders
 * the responses (no framing, no sniffing, no referrer, HTTPS only, no
 * resources of any kind), without the page-oriented ones.
 */
const API_HELMET = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  frameguard: { action: 'deny' },
});

/**
 * The public API as an express app, without listening: tests drive it with
 * supertest. `/metrics` is on it, where the contract lists it, unless
 * `serveMetrics` is false because a metrics-only server answers it
 * (METRICS_PORT, metrics-app.ts); then it is an unknown route here.
 */
export function buildApp(deps: ApiDeps, options: { serveMetrics: boolean } = { serveMetrics: true }): Express {
  const app = express();
  app.set('trust proxy', deps.config.trustProxy);
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(responseHeaders(API_HELMET));
  app.use(accessLog({ logger: deps.logger, httpDuration: deps.metrics.httpDuration }));
  // Heartbeats are most of the traffic: their route is matched first.
  mountVerificationsRoute(app, deps.context);
  mountRegistrationsRoute(app, deps.context, deps.attempts, deps.idempotency);
  mountUnbindingsRoute(app, deps.context, deps.attempts, deps.idempotency);
  mountKeysRoute(app, deps.leases);
  mountOpenApiRoute(app);
  app.use(healthRoute({ readiness: deps.readiness, storeHealth: deps.storeHealth }));
  if (options.serveMetrics) app.use(metricsRoute(deps.metrics.registry));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

import type { RequestListener } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import { errorHandler, notFound } from '#shared/http/error-handler';
import { accessLog } from '#shared/http/access-log';
import { directRoutes } from '#shared/http/direct-routes';
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
 * The public API as a request listener, without listening: tests drive it
 * with supertest. It is an express app whose node routes are served past
 * its router too (shared/http/direct-routes.ts). `/metrics` is on it, where
 * the contract lists it, unless `serveMetrics` is false because a
 * metrics-only server answers it (METRICS_PORT, metrics-app.ts); then it is
 * an unknown route here.
 */
export function buildApp(deps: ApiDeps, options: { serveMetrics: boolean } = { serveMetrics: true }): RequestListener {
  const app = express();
  app.set('trust proxy', deps.sourceAddresses.trust);
  app.set('etag', false);
  app.disable('x-powered-by');
  const onError = errorHandler(deps.logger);
  const routes = directRoutes(app, {
    middlewares: [responseHeaders(API_HELMET), accessLog({ logger: deps.logger, httpDuration: deps.metrics.httpDuration })],
    errorHandler: onError,
  });
  // Heartbeats are most of the traffic: their route is matched first.
  mountVerificationsRoute(routes, deps.context);
  mountRegistrationsRoute(routes, deps.context, deps);
  mountUnbindingsRoute(routes, deps.context, deps);
  mountKeysRoute(app, deps.leases);
  mountOpenApiRoute(app);
  app.use(healthRoute({ readiness: deps.readiness, storeHealth: deps.storeHealth }));
  if (options.serveMetrics) app.use(metricsRoute(deps.metrics.registry));
  app.use(notFound);
  app.use(onError);
  return routes.listener;
}

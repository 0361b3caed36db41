import express, { type Express } from 'express';
import { errorHandler, notFound } from '#shared/http/error-handler';
import type { ApiDeps } from './deps';
import { metricsRoute } from './routes/metrics';

/**
 * `/metrics` alone, for the server on METRICS_PORT: a port only the cluster
 * reaches, so the public one need not carry it and no ingress rule has to
 * keep it hidden.
 */
export function buildMetricsApp(deps: ApiDeps): Express {
  const app = express();
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(metricsRoute(deps.metrics.registry));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

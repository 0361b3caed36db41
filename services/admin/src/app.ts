import cookieParser from 'cookie-parser';
import express, { Router, type Express } from 'express';
import helmet from 'helmet';
import { responseHeaders } from '#shared/http/response-headers';
import { authenticate, requires } from './auth/principal';
import { consoleRoutes } from './console';
import { adminErrorHandler, adminNotFound } from './http/admin-errors';
import { openApiDocument } from './http/openapi';
import { accountRoutes } from './routes/accounts';
import { auditRoutes } from './routes/audit';
import { sessionRoutes } from './routes/sessions';
import { staffRoutes } from './routes/staff';
import { tokenRoutes } from './routes/tokens';
import { webhookRoutes } from './routes/webhooks';
import type { AdminServiceDeps } from './server-deps';

/**
 * The staff service as an express app, without listening: tests drive it
 * with supertest. Everything lives under /admin, the cookie's path. Pages
 * and API share one strict Content-Security-Policy: only this service's own
 * scripts and styles, nothing inline, no framing.
 */
const ADMIN_HELMET = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
});

/** Body limit of the staff API: its largest body is an account with long range lists. */
const BODY_LIMIT = '256kb';

export function buildAdminApp(deps: AdminServiceDeps): Express {
  const app = express();
  app.set('trust proxy', deps.config.trustProxy);
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(responseHeaders(ADMIN_HELMET));

  app.get('/admin/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/admin/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use('/admin', consoleRoutes());

  const api = Router();
  api.use(express.json({ limit: BODY_LIMIT, strict: true, type: () => true }), cookieParser());
  api.use(sessionRoutes(deps));
  api.use(authenticate(deps));
  api.get('/openapi.json', requires('read'), (_req, res) => {
    res.json(openApiDocument());
  });
  api.use(accountRoutes(deps), auditRoutes(deps), staffRoutes(deps), tokenRoutes(deps), webhookRoutes(deps));
  app.use('/admin/api/v1', api);

  app.use(adminNotFound);
  app.use(adminErrorHandler(deps.logger));
  return app;
}

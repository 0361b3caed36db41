import cookieParser from 'cookie-parser';
import express, { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { accessLog, markRouteBase, noteAccess } from '#shared/http/access-log';
import { responseHeaders } from '#shared/http/response-headers';
import { authenticate, requires, type Principal } from './auth/principal';
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
  app.set('trust proxy', deps.sourceAddresses.trust);
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(responseHeaders(ADMIN_HELMET));
  app.use(accessLog({ logger: deps.logger, httpDuration: deps.metrics.httpDuration }));

  // Liveness: the process answers. Readiness: it can serve (started, migrated, not draining), whatever the stores say.
  app.get('/admin/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/admin/readyz', (_req, res) => {
    const isDraining = deps.readiness.isDraining();
    res.status(isDraining ? 503 : 200).json({ status: isDraining ? 'draining' : 'ready', stores: deps.storeHealth.states() });
  });
  app.get('/admin/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use('/admin', markRouteBase, consoleRoutes());

  const api = Router();
  const readJson: RequestHandler = express.json({ limit: BODY_LIMIT, strict: true, type: () => true });
  // Bodies are read once the caller is known (a login's before it): an anonymous request is 401 whatever it sent.
  api.use(markRouteBase, cookieParser());
  api.use('/sessions', readJson);
  api.use(sessionRoutes(deps));
  api.use(authenticate(deps), (_req, res, next) => {
    // Who made the request, as the audit log names them; never a session id or a token.
    const principal = res.locals.principal as Principal | undefined;
    if (principal) noteAccess(res, { staff: principal.actor });
    next();
  });
  api.use(readJson);
  api.get('/openapi.json', requires('read'), (_req, res) => {
    res.json(openApiDocument());
  });
  api.use(accountRoutes(deps), auditRoutes(deps), staffRoutes(deps), tokenRoutes(deps), webhookRoutes(deps));
  app.use('/admin/api/v1', api);

  app.use(adminNotFound);
  app.use(adminErrorHandler(deps.logger));
  return app;
}

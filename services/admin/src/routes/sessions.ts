import { requestIdOf } from '#shared/http/request-id';
import { Router } from 'express';
import { authenticate, principalOf, SESSION_COOKIE } from '../auth/principal';
import { logIn } from '../auth/log-in';
import { AdminError } from '../http/admin-errors';
import { bodyOf } from '../http/request-input';
import { requests } from '../http/schemas';
import type { AdminServiceDeps } from '../server-deps';

/** Console login and logout (admin contract, "Authentication" 1). */
export function sessionRoutes(deps: AdminServiceDeps): Router {
  const router = Router();
  const cookie = { httpOnly: true, sameSite: 'strict' as const, path: '/admin', secure: !deps.config.admin.isInsecureCookies };

  router.post('/sessions', async (req, res) => {
    const { email, password } = bodyOf(requests.credentials, req);
    const outcome = await logIn(deps, { email, password, address: deps.sourceAddresses.of(req), requestId: requestIdOf(res) });
    if (outcome.kind === 'throttled')
      throw new AdminError('THROTTLED', undefined, undefined, { 'Retry-After': String(outcome.retryAfterSeconds) });
    if (outcome.kind === 'refused') throw new AdminError('UNAUTHENTICATED', undefined, 'Unknown email or wrong password.');
    res.cookie(SESSION_COOKIE, outcome.sessionId, { ...cookie, maxAge: deps.config.admin.sessionMaxMs });
    res.json({ staff: { email: outcome.staff.email, role: outcome.staff.role }, csrfToken: outcome.csrfToken });
  });

  router.delete('/sessions/current', authenticate(deps), async (_req, res) => {
    const { sessionId } = principalOf(res);
    if (sessionId !== undefined) await deps.sessions.end(sessionId);
    res.clearCookie(SESSION_COOKIE, cookie);
    res.status(204).end();
  });
  return router;
}

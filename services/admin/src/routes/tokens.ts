import { Router } from 'express';
import { isAllowed, isRoleAtMost } from '#shared/domain/staff';
import { createTokenSecret, tokenRevocation } from '#shared/storage/mysql/staff';
import { assertAllowed, principalOf } from '../auth/principal';
import { AdminError } from '../http/admin-errors';
import { bodyOf, queryOf } from '../http/request-input';
import { queries, requests } from '../http/schemas';
import { tokenView } from '../http/views';
import type { AdminServiceDeps } from '../server-deps';
import { originOf } from './accounts';

/** API tokens: operators manage their own, admins any; a token's secret is shown once, at creation. */

export function tokenRoutes(deps: AdminServiceDeps): Router {
  const router = Router();
  router.get('/tokens', async (req, res) => {
    const principal = assertAllowed(res, 'token.own');
    const page = await deps.staff.listTokens({
      ...queryOf(queries.page, req),
      ...(isAllowed(principal.role, 'token.any') ? {} : { createdBy: principal.staffId }),
    });
    res.json({ items: page.items.map(tokenView), nextCursor: page.nextCursor });
  });

  router.post('/tokens', async (req, res) => {
    const principal = assertAllowed(res, 'token.own');
    const { name, role } = bodyOf(requests.newToken, req);
    if (!isRoleAtMost(role, principal.role)) throw new AdminError('FORBIDDEN', undefined, 'A token cannot have a higher role than yours.');
    const secret = createTokenSecret();
    const token = await deps.staff.createToken(
      { name, role, createdBy: principal.staffId, secret },
      {
        actor: principal.actor,
        action: 'token.create',
        details: { name, role },
        before: null,
        after: { name, role },
        ...originOf(deps, req, res),
      },
    );
    res.status(201).json({ id: String(token.id), name: token.name, role: token.role, token: secret });
  });

  router.delete('/tokens/:id', async (req, res) => {
    const principal = assertAllowed(res, 'token.own');
    const id = /^[1-9]\d{0,15}$/.test(req.params.id) ? Number(req.params.id) : null;
    const token = id === null ? null : await deps.staff.findToken(id);
    if (!token) throw new AdminError('NOT_FOUND', undefined, 'No such token.');
    // Token ids are sequential: a 403 tells an operator nothing a 404 would hide.
    if (token.createdBy !== principalOf(res).staffId && !isAllowed(principal.role, 'token.any'))
      throw new AdminError('FORBIDDEN', undefined, 'Operators revoke their own tokens only.');
    await deps.staff.revokeToken(token.id, { actor: principal.actor, ...tokenRevocation(token), ...originOf(deps, req, res) });
    res.status(204).end();
  });
  return router;
}

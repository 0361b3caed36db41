import { Router } from 'express';
import { isStaffEmail } from '#shared/domain/staff';
import { assertAllowed, requires } from '../auth/principal';
import { createStaffMember } from '../commands/staff';
import { AdminError, validationFailed } from '../http/admin-errors';
import { bodyOf, queryOf } from '../http/request-input';
import { queries, requests } from '../http/schemas';
import { staffView } from '../http/views';
import type { AdminServiceDeps } from '../server-deps';
import { originOf } from './accounts';

/** Staff members (admins only): create, list, change role, disable (which ends their sessions and tokens at once). */

export function staffRoutes(deps: AdminServiceDeps): Router {
  const router = Router();
  router.get('/staff', requires('staff.manage'), async (req, res) => {
    const page = await deps.staff.list(queryOf(queries.page, req));
    res.json({ items: page.items.map(staffView), nextCursor: page.nextCursor });
  });

  router.post('/staff', requires('staff.manage'), async (req, res) => {
    const body = bodyOf(requests.newStaff, req);
    const outcome = await createStaffMember(
      { ...deps, actor: assertAllowed(res, 'staff.manage').actor },
      { ...body, ...originOf(deps, req, res) },
    );
    if (outcome.kind === 'invalid') throw validationFailed(outcome.problems);
    if (outcome.kind === 'email-taken') throw new AdminError('CONFLICT', undefined, 'A staff member with this email exists.');
    res.status(201).json(staffView(outcome.staff));
  });

  router.patch('/staff/:email', requires('staff.manage'), async (req, res) => {
    const change = bodyOf(requests.staffChange, req);
    const email = req.params.email as string;
    if (!isStaffEmail(email)) throw new AdminError('NOT_FOUND', undefined, 'No such staff member.');
    const { actor } = assertAllowed(res, 'staff.manage');
    const updated = await deps.staff.update(email, change, { actor, action: 'staff.update', ...originOf(deps, req, res) });
    if (!updated) throw new AdminError('NOT_FOUND', undefined, 'No such staff member.');
    if (updated.disabled) await deps.sessions.endAllOf(updated.id);
    res.json(staffView(updated));
  });
  return router;
}

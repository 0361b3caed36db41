import { Router, type Request } from 'express';
import { principalOf, requires } from '../auth/principal';
import { createWebhook } from '../commands/webhooks';
import { AdminError, validationFailed } from '../http/admin-errors';
import { bodyOf, queryOf } from '../http/request-input';
import { queries, requests } from '../http/schemas';
import { deliveryView, webhookView } from '../http/views';
import type { AdminServiceDeps } from '../server-deps';
import { originOf, useCaseDeps } from './accounts';

/** Webhook endpoints and their deliveries (admin contract, "Webhooks"): admins only. */
const notFound = () => new AdminError('NOT_FOUND', undefined, 'No such webhook endpoint.');

/** Endpoint ids are the ledger's numbers; anything else names no endpoint. */
function endpointIdOf(req: Request): number {
  const text = req.params.id as string;
  if (!/^[1-9]\d{0,15}$/.test(text)) throw notFound();
  return Number(text);
}

export function webhookRoutes(deps: AdminServiceDeps): Router {
  const router = Router();
  router.use('/webhooks', requires('webhook.manage'));

  router.get('/webhooks', async (req, res) => {
    const page = await deps.webhookEndpoints.list(queryOf(queries.page, req));
    res.json({ items: page.items.map(webhookView), nextCursor: page.nextCursor });
  });

  router.post('/webhooks', async (req, res) => {
    const { url, events } = bodyOf(requests.newWebhook, req);
    const outcome = await createWebhook(useCaseDeps(deps, principalOf(res)), { url, events, ...originOf(deps, req, res) });
    if (outcome.kind === 'invalid') throw validationFailed(outcome.problems);
    res.status(201).json({ ...webhookView(outcome.endpoint), secret: outcome.secret });
  });

  router.patch('/webhooks/:id', async (req, res) => {
    const id = endpointIdOf(req);
    const { events, disabled } = bodyOf(requests.webhookChange, req);
    const updated = await deps.webhookEndpoints.update(
      id,
      { ...(events === undefined ? {} : { eventTypes: [...new Set(events)] }), ...(disabled === undefined ? {} : { disabled }) },
      { actor: principalOf(res).actor, ...originOf(deps, req, res) },
    );
    if (!updated) throw notFound();
    res.json(webhookView(updated));
  });

  router.delete('/webhooks/:id', async (req, res) => {
    const isRemoved = await deps.webhookEndpoints.remove(endpointIdOf(req), { actor: principalOf(res).actor, ...originOf(deps, req, res) });
    if (!isRemoved) throw notFound();
    res.status(204).end();
  });

  router.get('/webhooks/:id/deliveries', async (req, res) => {
    const id = endpointIdOf(req);
    const { status, limit, cursor } = queryOf(queries.deliveries, req);
    if (!(await deps.webhookEndpoints.find(id))) throw notFound();
    const page = await deps.webhookEndpoints.listDeliveries(id, {
      ...(status === undefined ? {} : { status }),
      limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    res.json({ items: page.items.map(deliveryView), nextCursor: page.nextCursor });
  });

  router.post('/webhooks/:id/deliveries/:eventId/retry', async (req, res) => {
    const id = endpointIdOf(req);
    if (!(await deps.webhookEndpoints.requestRetry(id, req.params.eventId)))
      throw new AdminError('NOT_FOUND', undefined, 'This endpoint has no delivery of that event.');
    res.status(202).end();
  });
  return router;
}

import { setTimeout as sleep } from 'node:timers/promises';
import { WEBHOOK_EVENT_TYPES } from '#shared/domain/webhooks';
import { createPool } from '#shared/storage/mysql/pool';
import { createWebhookEndpoints } from '#shared/storage/mysql/webhook-endpoints';
import { createWebhookSecret } from '#shared/webhooks/signature';
import { seededAccountCount } from '../dataset/samples';
import { newClusters } from '../load/bodies';
import { startWebhookReceiver } from '../load/webhook-receiver';
import { startWorker } from '../processes/worker';
import { CONNECTIONS } from '../settings';
import { countOf, measure, type Harness, type Measured } from './harness';
import { measureRegister, type RegisterComparison } from './register';

/**
 * `webhooks`: delivery keeping up with registrations. A local receiver
 * subscribes to every event type and the worker runs beside the API; first
 * the register comparison (raw bcrypt ceiling vs the API) runs while the
 * worker delivers what it produces, then a storm of `clusters` registrations
 * of new clusters, and the time from the storm's last answer until the
 * receiver holds every event the storm produced. (Re-registering machines
 * already bound announces nothing, by the contract's "newly bound", so the
 * storm binds new machines: one binding.created per node.)
 */
export interface WebhooksResult {
  register: RegisterComparison;
  storm: Measured;
  clusters: number;
  events: number;
  delivered: number;
  /** From the storm's last answer until the last of its events reached the receiver. */
  deliveredWithinSeconds: number;
  receiverDeliveries: number;
}

const DELIVERY_DEADLINE_MS = 180_000;

export async function measureWebhooks(harness: Harness, clusters: number): Promise<WebhooksResult> {
  const receiver = await startWebhookReceiver();
  const pool = createPool({ url: harness.ns.mysqlUrl, size: 2 });
  const endpoints = createWebhookEndpoints(pool);
  const endpoint = await endpoints.create(
    { url: receiver.url, eventTypes: [...WEBHOOK_EVENT_TYPES], secret: createWebhookSecret() },
    { actor: 'load-test', sourceAddress: null, requestId: null },
  );
  const worker = await startWorker(harness.ns);
  const pending = () =>
    countOf(harness, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? AND status <> 'delivered'", [endpoint.id]);
  const eventCount = () => countOf(harness, 'SELECT COUNT(*) AS n FROM webhook_events');
  try {
    const register = await measureRegister(harness, 'register while delivering', { worker: worker.pid });
    harness.log(`webhooks: ${String(await pending())} deliveries still pending after the register pairs; draining`);
    for (let waited = 0; (await pending()) > 0 && waited < DELIVERY_DEADLINE_MS; waited += 500) await sleep(500);

    const before = receiver.distinct();
    const eventsBefore = await eventCount();
    harness.log(`webhooks: storm of ${String(clusters)} new clusters`);
    const storm = await measure(harness, {
      label: 'webhooks storm',
      url: harness.api.url,
      path: '/v1/registrations',
      connections: Math.min(CONNECTIONS.storm, clusters),
      amount: clusters,
      timeoutSeconds: 60,
      next: newClusters(await seededAccountCount(harness.db)),
    });
    const stormEndMs = Date.now();
    const events = (await eventCount()) - eventsBefore;
    while (receiver.distinct() - before < events && Date.now() - stormEndMs < DELIVERY_DEADLINE_MS) await sleep(100);
    const delivered = receiver.distinct() - before;
    const deliveredWithinSeconds = delivered >= events ? Math.max(0, receiver.lastNewAtMs() - stormEndMs) / 1000 : Number.POSITIVE_INFINITY;
    harness.log(
      `webhooks: ${String(delivered)} of ${String(events)} events delivered ${Number.isFinite(deliveredWithinSeconds) ? `${deliveredWithinSeconds.toFixed(1)} s after the storm` : 'not all within the deadline'}`,
    );
    return { register, storm, clusters, events, delivered, deliveredWithinSeconds, receiverDeliveries: receiver.deliveries() };
  } finally {
    await worker.stop();
    // The endpoint goes, so later scenarios on this data set announce to nobody.
    await endpoints.remove(endpoint.id, { actor: 'load-test', sourceAddress: null, requestId: null });
    await pool.end();
    await receiver.close();
  }
}

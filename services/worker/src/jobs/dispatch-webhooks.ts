import type { Metrics } from '#shared/metrics/registry';
import type { WebhookDeliveries } from '#shared/storage/mysql/webhook-deliveries';

/**
 * The dispatcher: reads from MySQL which endpoints have deliveries due and
 * hands each endpoint to the delivery queue. Because it reads MySQL every
 * time, an event committed while no worker ran (or whose trigger was lost)
 * is picked up on the next run. The delivery job's id is the endpoint's, so
 * an endpoint already queued or being worked is not queued twice.
 */
export interface DispatchWebhooksDeps {
  deliveries: WebhookDeliveries;
  metrics: Metrics;
  enqueue(endpointIds: readonly number[]): Promise<void>;
}

/** Endpoints handed over per run; the next run (within the dispatch interval) takes the rest. */
export const DISPATCH_BATCH = 500;

export async function dispatchWebhooks(deps: DispatchWebhooksDeps): Promise<{ dispatched: number }> {
  const due = await deps.deliveries.dueEndpoints(DISPATCH_BATCH);
  if (due.length > 0) await deps.enqueue(due);
  deps.metrics.webhookBacklog.set(await deps.deliveries.countPending());
  return { dispatched: due.length };
}

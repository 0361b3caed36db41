import { parseRetryAfter, retryDelaySeconds } from '#shared/domain/webhooks';
import type { Logger } from '#shared/log/logger';
import type { Metrics } from '#shared/metrics/registry';
import type { AttemptResult, ClaimedDelivery, WebhookDeliveries } from '#shared/storage/mysql/webhook-deliveries';
import type { WebhookSender } from '../webhooks/send-webhook';

/**
 * An endpoint's due deliveries, a batch at a time: claim a batch in MySQL
 * (nothing when none is due any more: the job ran twice, or late), send it,
 * record the results; again until none is due or the job's time is up (the
 * dispatcher queues the endpoint again). Any 2xx is delivered; 410 disables
 * the endpoint; anything else is retried after the next configured delay (or
 * a longer Retry-After), until the delays are spent and the delivery is a
 * dead letter.
 */
export interface DeliverWebhookDeps {
  deliveries: WebhookDeliveries;
  sender: WebhookSender;
  metrics: Metrics;
  logger: Logger;
  retryDelaysSeconds: readonly number[];
  /** How long a claimed attempt may take before the delivery is due again (longer than the send timeout). */
  leaseSeconds: number;
  random: () => number;
  nowMs: () => number;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'gone' | 'blocked';

/**
 * Sent at once, so a batch takes at most one send timeout and stays within
 * its lease; one claim and one send round per batch is what makes a storm's
 * thousands of events cheap for the worker.
 */
export const DELIVERY_BATCH = 25;
/** A job hands its endpoint back after this long, so one busy endpoint never holds a job slot for ever. */
const JOB_BUDGET_MS = 10_000;

export async function deliverDue(deps: DeliverWebhookDeps, endpointId: number): Promise<Partial<Record<DeliveryOutcome, number>>> {
  const counts: Partial<Record<DeliveryOutcome, number>> = {};
  const until = deps.nowMs() + JOB_BUDGET_MS;
  while (deps.nowMs() < until) {
    const claimed = await deps.deliveries.claimDue(endpointId, { limit: DELIVERY_BATCH, leaseSeconds: deps.leaseSeconds });
    const attempts = await Promise.all(claimed.map((delivery) => attemptDelivery(deps, delivery)));
    // One statement records the batch's results, each only if its claim still holds; a 410 is settled after
    // them, since it fails every pending delivery of the endpoint and must not take the batch's delivered ones.
    await deps.deliveries.settleAll(attempts.flatMap(({ claimed: delivery, result }) => (result ? [{ claimed: delivery, result }] : [])));
    const gone = attempts.filter(({ outcome }) => outcome === 'gone').map((attempt) => attempt.claimed);
    if (gone.length > 0) {
      await deps.deliveries.settleGone(endpointId, gone);
      deps.logger.warn({ deliveryIds: gone.map(({ id }) => id), endpointId }, 'webhook endpoint answered 410 Gone: disabled');
    }
    for (const { outcome } of attempts) {
      deps.metrics.webhookAttempts.inc({ outcome });
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    // A 410 failed the endpoint's other pending deliveries; a short batch was all that was due.
    if (claimed.length < DELIVERY_BATCH || gone.length > 0) break;
  }
  return counts;
}

/** One send and what to record of it: nothing for a 410, which disables the endpoint instead. */
async function attemptDelivery(
  deps: DeliverWebhookDeps,
  claimed: ClaimedDelivery,
): Promise<{ outcome: DeliveryOutcome; claimed: ClaimedDelivery; result: AttemptResult | null }> {
  const sent = await deps.sender.send(claimed);
  if (sent.kind === 'answered' && sent.statusCode >= 200 && sent.statusCode < 300) {
    return { outcome: 'delivered', claimed, result: { kind: 'delivered', statusCode: sent.statusCode } };
  }
  if (sent.kind === 'answered' && sent.statusCode === 410) return { outcome: 'gone', claimed, result: null };
  const statusCode = sent.kind === 'answered' ? sent.statusCode : null;
  const inSeconds = retryDelaySeconds({
    delays: deps.retryDelaysSeconds,
    attempts: claimed.attempts,
    retryAfterSeconds: sent.kind === 'answered' ? parseRetryAfter(sent.retryAfter, deps.nowMs()) : null,
    random: deps.random(),
    isRetryRequested: claimed.isRetryRequested,
  });
  const result: AttemptResult = inSeconds === null ? { kind: 'failed', statusCode } : { kind: 'retry', statusCode, inSeconds };
  deps.logger.info(
    {
      deliveryId: claimed.id,
      endpointId: claimed.endpointId,
      attempts: claimed.attempts,
      statusCode,
      reason: sent.kind === 'answered' ? undefined : sent.reason,
      next: result.kind,
    },
    'webhook delivery attempt failed',
  );
  return { outcome: sent.kind === 'blocked' ? 'blocked' : result.kind, claimed, result };
}

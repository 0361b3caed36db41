import { parseRetryAfter, retryDelaySeconds } from '#shared/domain/webhooks';
import type { Logger } from '#shared/log/logger';
import type { Metrics } from '#shared/metrics/registry';
import type { AttemptResult, WebhookDeliveries } from '#shared/storage/mysql/webhook-deliveries';
import type { WebhookSender } from '../webhooks/send-webhook';

/**
 * One attempt of one delivery: claim it in MySQL (nothing happens when it is
 * no longer due: the job ran twice, or late), send it, record the result.
 * Any 2xx is delivered; 410 disables the endpoint; anything else is retried
 * after the next configured delay (or a longer Retry-After), until the
 * delays are spent and the delivery is a dead letter.
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

export type DeliveryOutcome = 'skipped' | 'delivered' | 'retry' | 'failed' | 'gone' | 'blocked';

export async function deliverWebhook(deps: DeliverWebhookDeps, deliveryId: number): Promise<DeliveryOutcome> {
  const claimed = await deps.deliveries.claim(deliveryId, deps.leaseSeconds);
  if (!claimed) return 'skipped';
  const sent = await deps.sender.send(claimed);
  if (sent.kind === 'answered' && sent.statusCode >= 200 && sent.statusCode < 300) {
    await deps.deliveries.settle(claimed, { kind: 'delivered', statusCode: sent.statusCode });
    deps.metrics.webhookAttempts.inc({ outcome: 'delivered' });
    return 'delivered';
  }
  if (sent.kind === 'answered' && sent.statusCode === 410) {
    await deps.deliveries.settleGone(claimed);
    deps.metrics.webhookAttempts.inc({ outcome: 'gone' });
    deps.logger.warn({ deliveryId, endpointId: claimed.endpointId }, 'webhook endpoint answered 410 Gone: disabled');
    return 'gone';
  }
  const statusCode = sent.kind === 'answered' ? sent.statusCode : null;
  const inSeconds = retryDelaySeconds({
    delays: deps.retryDelaysSeconds,
    attempts: claimed.attempts,
    retryAfterSeconds: sent.kind === 'answered' ? parseRetryAfter(sent.retryAfter, deps.nowMs()) : null,
    random: deps.random(),
  });
  const result: AttemptResult = inSeconds === null ? { kind: 'failed', statusCode } : { kind: 'retry', statusCode, inSeconds };
  await deps.deliveries.settle(claimed, result);
  const outcome = sent.kind === 'blocked' ? 'blocked' : result.kind;
  deps.metrics.webhookAttempts.inc({ outcome });
  deps.logger.info(
    {
      deliveryId,
      endpointId: claimed.endpointId,
      attempts: claimed.attempts,
      statusCode,
      reason: sent.kind === 'answered' ? undefined : sent.reason,
      next: result.kind,
    },
    'webhook delivery attempt failed',
  );
  return outcome;
}

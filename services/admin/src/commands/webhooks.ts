import type { WebhookEventType } from '#shared/domain/webhooks';
import type { WebhookEndpoint } from '#shared/storage/mysql/webhook-endpoints';
import { createWebhookSecret } from '#shared/webhooks/signature';
import type { AdminServiceDeps } from '../server-deps';
import type { Origin } from './accounts';

/**
 * Subscribing a webhook endpoint: the URL must be http(s) and, unless
 * private targets are allowed, resolve to public addresses only (SSRF); the
 * signing secret is made here and handed back once.
 */
export interface CreateWebhookInput extends Origin {
  url: string;
  events: readonly WebhookEventType[];
}

export type CreateWebhookOutcome =
  { kind: 'created'; endpoint: WebhookEndpoint; secret: string } | { kind: 'invalid'; problems: Array<{ field: string; message: string }> };

export async function createWebhook(
  deps: Pick<AdminServiceDeps, 'webhookEndpoints' | 'checkWebhookTarget'> & { actor: string },
  input: CreateWebhookInput,
): Promise<CreateWebhookOutcome> {
  const problem = await deps.checkWebhookTarget(input.url);
  if (problem) return { kind: 'invalid', problems: [{ field: 'url', message: problem.message }] };
  const secret = createWebhookSecret();
  const endpoint = await deps.webhookEndpoints.create(
    { url: input.url, eventTypes: [...new Set(input.events)], secret },
    { actor: deps.actor, sourceAddress: input.sourceAddress ?? null, requestId: input.requestId ?? null },
  );
  return { kind: 'created', endpoint, secret };
}

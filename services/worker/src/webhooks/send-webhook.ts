import http from 'node:http';
import https from 'node:https';
import { isPublicAddress } from '#shared/domain/webhooks';
import { signWebhook } from '#shared/webhooks/signature';
import { BlockedAddress, literalAddressOf, parseWebhookUrl, publicOnlyLookup } from '#shared/webhooks/targets';

/**
 * One HTTP attempt of one delivery, Standard Webhooks style: POST the event's
 * body with `webhook-id` (the event id, the same on every retry),
 * `webhook-timestamp` and `webhook-signature`. Redirects are not followed
 * (node:http never does); no answer within the timeout is no answer. Unless
 * private targets are allowed, the connection goes only to a public address,
 * checked on the address DNS gives at connection time.
 */
export type SendResult =
  | { kind: 'answered'; statusCode: number; retryAfter: string | undefined }
  | { kind: 'no-answer'; reason: string }
  /** The target resolved to an address deliveries may not reach. */
  | { kind: 'blocked'; reason: string };

export interface WebhookSender {
  send(message: { url: string; secret: string; eventId: string; body: string }): Promise<SendResult>;
  close(): void;
}

export function createWebhookSender(options: { timeoutMs: number; isPrivateAllowed: boolean; nowMs: () => number }): WebhookSender {
  // Connections are kept alive between attempts: a storm sends thousands of events to one endpoint, and a new
  // connection (a TLS handshake in production) per event would cost more than the event. The address check
  // holds for a kept connection, whose peer address cannot change; every new connection is checked at its lookup.
  // Idle connections close before the receiver's advertised Keep-Alive timeout (Node's agent reads the hint).
  const guarded = options.isPrivateAllowed ? {} : { lookup: publicOnlyLookup };
  const kept = { keepAlive: true, ...guarded };
  const agents = { 'http:': new http.Agent(kept), 'https:': new https.Agent(kept) };

  async function send(message: Parameters<WebhookSender['send']>[0]): Promise<SendResult> {
    const url = parseWebhookUrl(message.url);
    if (!url) return { kind: 'blocked', reason: 'not an http(s) URL' };
    const literal = literalAddressOf(url);
    if (!options.isPrivateAllowed && literal !== null && !isPublicAddress(literal)) {
      return { kind: 'blocked', reason: `${literal} is not a public address` };
    }
    const timestamp = Math.floor(options.nowMs() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'regcloud-webhooks/1',
      'webhook-id': message.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(message.secret, { id: message.eventId, timestamp, body: message.body }),
    };
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<SendResult>((resolve) => {
      const request = transport.request(url, {
        method: 'POST',
        headers,
        agent: agents[url.protocol as 'http:' | 'https:'],
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      request.on('response', (response) => {
        // Only the status matters; the body is drained and dropped.
        response.resume();
        const retryAfter = response.headers['retry-after'];
        resolve({ kind: 'answered', statusCode: response.statusCode ?? 0, retryAfter });
      });
      request.on('error', (error) => {
        const cause = (error as { cause?: unknown }).cause;
        if (error instanceof BlockedAddress || cause instanceof BlockedAddress) resolve({ kind: 'blocked', reason: error.message });
        else
          resolve({ kind: 'no-answer', reason: error.name === 'AbortError' ? `no answer within ${options.timeoutMs} ms` : error.message });
      });
      request.end(message.body);
    });
  }

  return {
    send,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A receiver as the vendor's CRM would run one: answers 204 to every
 * delivery and counts distinct `webhook-id`s (delivery is at least once), with
 * the time the last new one arrived.
 */
export interface WebhookReceiver {
  url: string;
  distinct(): number;
  deliveries(): number;
  lastNewAtMs(): number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const seen = new Set<string>();
  let deliveries = 0;
  let lastNewAtMs = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      deliveries++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string' && !seen.has(id)) {
        seen.add(id);
        lastNewAtMs = Date.now();
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    distinct: () => seen.size,
    deliveries: () => deliveries,
    lastNewAtMs: () => lastNewAtMs,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

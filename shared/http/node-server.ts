import { once } from 'node:events';
import http from 'node:http';
import type { Config } from '#shared/config/env';

/**
 * An HTTP server for callers on the open internet. With Node's defaults a
 * client that trickles its headers holds a socket and a parser for 60 s, and
 * a slow body for 300 s: cheap for an attacker, costly for us. Node enforces
 * the headers and request timeouts only when it sweeps its connections
 * (every 30 s by default), so the sweep runs as often as the headers timeout,
 * at most once a second: a timeout fires at most that much late.
 */
export function createNodeServer(listener: http.RequestListener, timeouts: Config['http']): http.Server {
  return http.createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, timeouts.headersTimeoutMs),
    },
    listener,
  );
}

/** Resolves once the server listens; rejects when it cannot (a port in use). */
export async function listen(server: http.Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  await once(server, 'listening');
}

/** Stops accepting, drops idle keep-alive connections, and resolves when the requests in flight are answered. */
export function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  return closed;
}

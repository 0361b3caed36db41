import type { Request } from 'express';

/** The caller's address as express resolves it under TRUST_PROXY; the throttling key. */
export function sourceAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

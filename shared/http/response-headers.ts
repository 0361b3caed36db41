import type { Request, RequestHandler, Response } from 'express';
import type { HttpHandler } from './node-http';
import { requestIdFor } from './request-id';

/**
 * What every response carries: the security headers, `Cache-Control:
 * no-store` and `x-request-id`.
 *
 * The security headers come from helmet, run once at start-up against a
 * recording response: for a given configuration they never vary, and setting
 * the recorded pairs costs a fraction of running helmet's chain of
 * middlewares on every heartbeat. `no-store` joins them: answers carry
 * binding tokens and account state, which no browser, proxy or CDN may keep.
 *
 * The request id is on every log line about the request too, so a caller's
 * report can be matched to the log without the response ever holding
 * internal detail. An incoming id is kept only when well-formed
 * (request-id.ts). The rest of the request runs in its log context, so
 * every line logged meanwhile names the id.
 */
function recordHeaders(security: RequestHandler): Array<[string, string]> {
  const recorded = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      recorded.set(name, String(value));
      return recorder;
    },
    removeHeader(name: string) {
      recorded.delete(name);
    },
    getHeader: (name: string) => recorded.get(name),
  };
  const middleware = { isDone: false };
  security({ headers: {}, method: 'GET', url: '/' } as unknown as Request, recorder as unknown as Response, () => {
    middleware.isDone = true;
  });
  if (!middleware.isDone) throw new Error('the security middleware did not complete synchronously');
  return [...recorded];
}

export function responseHeaders(security: RequestHandler): HttpHandler {
  const headers: Array<[string, string]> = [...recordHeaders(security), ['Cache-Control', 'no-store']];
  return (req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    const id = requestIdFor(req);
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    next();
  };
}

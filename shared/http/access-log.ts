import type { RequestHandler } from 'express';
import type { Logger } from '#shared/log/logger';
import type { Histogram } from 'prom-client';
import type { HttpHandler, HttpRequest, HttpResponse } from './node-http';
import { requestIdOf } from './request-id';

/** The route label of a request no route matched (404s, probes of random paths): one value, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Routers mounted under a path (the staff API under /admin/api/v1) call this
 * first: `req.route.path` is relative to the router, and `req.baseUrl` is
 * put back once a router hands an error on, so the prefix is kept here.
 */
export const markRouteBase: RequestHandler = (req, res, next) => {
  res.locals.routeBase = req.baseUrl;
  next();
};

/** The matched route pattern (`/admin/api/v1/accounts/:name`), never the raw URL: a closed set of labels. */
export function routeOf(req: HttpRequest, res: HttpResponse): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern !== 'string') return UNMATCHED_ROUTE;
  return `${typeof res.locals.routeBase === 'string' ? res.locals.routeBase : ''}${pattern}`;
}

/** What a route may add to its request's access line once it knows it: the account, the staff member. */
export interface AccessFields {
  accountId?: number;
  account?: string;
  staff?: string;
}

export function noteAccess(res: HttpResponse, fields: AccessFields): void {
  res.locals.access = { ...(res.locals.access as AccessFields | undefined), ...fields };
}

/**
 * One line per request, at info, once the answer is sent (or the client went
 * away): route pattern, method, status, duration, request id, and the account
 * where a route noted one. Nothing of the URL's query, the headers or the
 * body: no password, token or lease can reach it. Every answer is timed in
 * `regcloud_http_request_duration_seconds` too, 400, 404 and 405 included.
 * Installed right after responseHeaders, before any route.
 */
export function accessLog(options: { logger: Logger; httpDuration: Histogram<'route' | 'method' | 'status'> }): HttpHandler {
  const { logger, httpDuration } = options;
  // Label children made once: the heartbeat path should not hash label sets per request.
  const timers = new Map<string, { observe(seconds: number): void }>();
  const timer = (route: string, method: string, status: number) => {
    const key = `${route} ${method} ${status}`;
    let found = timers.get(key);
    if (!found) {
      found = httpDuration.labels(route, method, String(status));
      timers.set(key, found);
    }
    return found;
  };
  return (req, res, next) => {
    const startedAt = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const route = routeOf(req, res);
      const status = res.statusCode;
      const isAborted = !res.writableFinished;
      // An answer the client left before receiving says nothing about the service's latency.
      if (!isAborted) timer(route, req.method ?? '', status).observe(seconds);
      // Most heartbeats run with access lines off (LOG_LEVEL=warn): then build nothing.
      if (!logger.isLevelEnabled('info')) return;
      logger.info(
        {
          route,
          method: req.method,
          status,
          durationMs: Math.round(seconds * 1e6) / 1e3,
          requestId: requestIdOf(res),
          ...(res.locals.access as AccessFields | undefined),
          ...(isAborted ? { isAborted } : {}),
        },
        'request',
      );
    });
    next();
  };
}

import type { Logger } from '#shared/log/logger';
import { FALLBACK_CAUSE } from '#shared/domain/causes';
import { refuseOverall } from '#shared/domain/outcome';
import { routeOf } from './access-log';
import type { HttpErrorHandler, HttpHandler } from './node-http';
import { answerFor, fallbackAnswer, send } from './respond';
import { requestIdOf } from './request-id';

/**
 * body-parser refuses a body (bad JSON, too large, bad charset, a broken
 * gzip stream) with a 4xx status; nothing else in the app throws with one.
 */
export function isBodyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status } = error as { status?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Installed once, last. A body the parser refused is the caller's mistake
 * (INCORRECT_DATA_FORMAT, even when too large); everything else is the
 * fallback cause with HTTP 500, its detail only in the log.
 */
export function errorHandler(logger: Logger): HttpErrorHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (isBodyError(error)) {
      send(res, answerFor(refuseOverall({ code: 'INCORRECT_DATA_FORMAT' })));
      return;
    }
    logger.error(
      { err: error, requestId: requestIdOf(res), method: req.method, route: routeOf(req, res) },
      `unhandled error: ${FALLBACK_CAUSE.code}`,
    );
    send(res, fallbackAnswer(500));
  };
}

export const notFound: HttpHandler = (_req, res) => send(res, fallbackAnswer(404));
export const methodNotAllowed =
  (allowed: string): HttpHandler =>
  (_req, res) =>
    send(res, fallbackAnswer(405, { Allow: allowed }));

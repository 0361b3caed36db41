import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '#shared/log/logger';
import { requestIdOf } from '#shared/http/request-id';
import { isBodyError } from '#shared/http/error-handler';
import { InvalidCursor } from '#shared/storage/mysql/cursor';

/**
 * The staff contract's errors, the one place codes become statuses. Routes
 * throw an AdminError (or return through `sendAdminError`); anything else
 * that reaches the handler is INTERNAL, its detail only in the log.
 */
export const ADMIN_ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request body is not valid JSON.' },
  UNAUTHENTICATED: { status: 401, message: 'Log in, or send a valid API token.' },
  FORBIDDEN: { status: 403, message: 'Your role does not allow this.' },
  CSRF_FAILED: { status: 403, message: 'The X-CSRF-Token header is missing or does not match this session.' },
  NOT_FOUND: { status: 404, message: 'No such resource.' },
  CONFLICT: { status: 409, message: 'The change conflicts with the current state.' },
  PRECONDITION_FAILED: { status: 412, message: 'The account changed since you read it: reload and try again.' },
  VALIDATION_FAILED: { status: 422, message: 'Some fields are not valid.' },
  PRECONDITION_REQUIRED: { status: 428, message: 'Send If-Match with the revision you read.' },
  THROTTLED: { status: 429, message: 'Too many failed logins: wait and try again.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
} as const;

export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    readonly details?: Record<string, unknown>,
    message: string = ADMIN_ERRORS[code].message,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export function sendAdminError(res: Response, error: AdminError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res
    .status(ADMIN_ERRORS[error.code].status)
    .json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
}

/** A field-by-field refusal (rule 3), every problem at once. */
export function validationFailed(fields: ReadonlyArray<{ field: string; message: string }>): AdminError {
  return new AdminError('VALIDATION_FAILED', { fields: [...fields] });
}

export function adminErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof AdminError) {
      sendAdminError(res, error);
      return;
    }
    if (error instanceof InvalidCursor) {
      sendAdminError(res, validationFailed([{ field: 'cursor', message: error.message }]));
      return;
    }
    if (isBodyError(error)) {
      sendAdminError(res, new AdminError('BAD_REQUEST'));
      return;
    }
    logger.error({ err: error, requestId: requestIdOf(res), method: req.method, path: req.path }, 'unhandled error in the staff service');
    sendAdminError(res, new AdminError('INTERNAL'));
  };
}

export const adminNotFound: RequestHandler = (_req, res) => sendAdminError(res, new AdminError('NOT_FOUND'));

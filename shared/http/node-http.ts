import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What the handlers in shared/http and the node routes use of a request and
 * its response: Node's own objects, plus the few fields the app sets on them
 * (the parsed body, the matched route, `locals`). express's Request and
 * Response extend these, so the same handlers mount on an express app and
 * serve the direct routes (direct-routes.ts), which never give a request
 * express's prototypes.
 */
export type HttpRequest = IncomingMessage & {
  body?: unknown;
  /** The matched route's pattern (express sets its Route here; the direct routes an object with the same `path`). */
  route?: { path: string };
};

export type HttpResponse = ServerResponse & { locals: Record<string, unknown> };

export type Next = (error?: unknown) => void;

export type HttpHandler = (req: HttpRequest, res: HttpResponse, next: Next) => unknown;

/** Four parameters, as express tells an error handler from a handler. */
export type HttpErrorHandler = (error: unknown, req: HttpRequest, res: HttpResponse, next: Next) => void;

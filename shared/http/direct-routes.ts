import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express, IRoute } from 'express';
import type { HttpErrorHandler, HttpHandler, HttpRequest, HttpResponse, Next } from './node-http';

/**
 * POST routes an app serves as plain Node handlers as well as through its router.
 *
 * Heartbeats are nearly all of the API's traffic. express hands every request
 * to its router after swapping the prototypes of Node's request and response
 * objects for its own, and that swap alone makes Node's HTTP code, which
 * then meets objects of many shapes, far slower: a heartbeat through the
 * router cost 127 µs of CPU, 117 µs past the router with express's
 * prototypes still set, and 67 µs on Node's own objects, against bare
 * express's 98–114 µs (verify at 1,000 bindings, 3 December 2026).
 *
 * So a request whose method is POST and whose URL is exactly a direct route's
 * path (no query string, no other spelling) gets `locals` and its route, then
 * runs the app's own middlewares and the route's own handlers — the very
 * functions mounted on the app, in the same order, written against Node's
 * objects (node-http.ts) — and the app's error handler for what they pass
 * on. Every other request goes to the app unchanged, so both paths answer
 * alike.
 */
export interface DirectRoutes {
  /** Mounts `POST path` with its handlers on the app and serves it directly; returns the route for its other methods. */
  post(path: string, ...handlers: HttpHandler[]): IRoute;
  /** The server's request listener: direct routes first, the app for everything else. */
  readonly listener: RequestListener;
}

interface DirectRoute {
  route: { path: string };
  handlers: HttpHandler[];
}

/**
 * `middlewares` are installed on the app here, before any route, so the two
 * paths cannot disagree about them; `errorHandler` is the one the app ends
 * with (the caller installs it after its other routes).
 */
export function directRoutes(app: Express, options: { middlewares: HttpHandler[]; errorHandler: HttpErrorHandler }): DirectRoutes {
  const { middlewares, errorHandler } = options;
  for (const middleware of middlewares) app.use(middleware);
  const routes = new Map<string, DirectRoute>();

  /** What express's router does with a handler's outcome: a throw or a rejected promise goes to the error handler. */
  function run(handlers: HttpHandler[], req: HttpRequest, res: HttpResponse): void {
    let index = 0;
    const fail = (error: unknown) => {
      errorHandler(error, req, res, () => {
        // As express's final handler does once an answer has begun: the connection cannot carry a clean one.
        req.socket.destroy();
      });
    };
    const next: Next = (error?: unknown) => {
      if (error !== undefined) {
        fail(error);
        return;
      }
      const handler = handlers[index++];
      if (!handler) {
        fail(new Error(`no handler answered POST ${req.url}`));
        return;
      }
      try {
        const returned = handler(req, res, next);
        if (returned instanceof Promise) returned.catch((rejection: unknown) => fail(rejection ?? new Error('Rejected promise')));
      } catch (thrown) {
        fail(thrown);
      }
    };
    next();
  }

  return {
    post(path, ...handlers) {
      const route = app.route(path).post(...handlers);
      routes.set(path, { route: { path }, handlers: [...middlewares, ...handlers] });
      return route;
    },
    listener(incoming: IncomingMessage, outgoing: ServerResponse) {
      const direct = incoming.method === 'POST' ? routes.get(incoming.url ?? '') : undefined;
      if (!direct) {
        app(incoming, outgoing);
        return;
      }
      // What the handlers may use beyond Node's own fields (node-http.ts), set before any of them runs.
      const req: HttpRequest = incoming;
      const res = Object.assign(outgoing, { locals: Object.create(null) as Record<string, unknown> });
      req.route = direct.route;
      run(direct.handlers, req, res);
    },
  };
}

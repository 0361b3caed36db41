import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, IRoute, NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * POST routes an app serves past its router as well as through it.
 *
 * Heartbeats are nearly all of the API's traffic, and for each one express's
 * router parses the URL, matches it against every layer and wraps every
 * handler (measured on verify at 1,000 bindings: 127 µs of CPU a heartbeat
 * through the router, 117 µs past it). A request whose method is
 * POST and whose URL is exactly a direct route's path (no query string, no
 * other spelling) skips that walk: it gets what express's `app.handle` gives
 * every request (the app's request and response prototypes, `locals`, the
 * matched route), then runs the app's own middlewares and the route's own
 * handlers — the very functions mounted on the app, in the same order — and
 * the app's error handler for what they pass on. Every other request goes to
 * the app unchanged, so both paths answer alike.
 */
export interface DirectRoutes {
  /** Mounts `POST path` with its handlers on the app and serves it directly; returns the route for its other methods. */
  post(path: string, ...handlers: RequestHandler[]): IRoute;
  /** The server's request listener: direct routes first, the app for everything else. */
  readonly listener: RequestListener;
}

interface DirectRoute {
  route: IRoute;
  handlers: RequestHandler[];
}

/**
 * `middlewares` are installed on the app here, before any route, so the two
 * paths cannot disagree about them; `errorHandler` is the one the app ends
 * with (the caller installs it after its other routes).
 */
export function directRoutes(app: Express, options: { middlewares: RequestHandler[]; errorHandler: ErrorRequestHandler }): DirectRoutes {
  const { middlewares, errorHandler } = options;
  for (const middleware of middlewares) app.use(middleware);
  const routes = new Map<string, DirectRoute>();

  /** What express's router does with a handler's outcome: a throw or a rejected promise goes to the error handler. */
  function run(handlers: RequestHandler[], req: Request, res: Response): void {
    let index = 0;
    const fail = (error: unknown) => {
      errorHandler(error, req, res, () => {
        // As express's final handler does once an answer has begun: the connection cannot carry a clean one.
        req.socket.destroy();
      });
    };
    const next: NextFunction = (error?: unknown) => {
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
        const returned: unknown = handler(req, res, next);
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
      routes.set(path, { route, handlers: [...middlewares, ...handlers] });
      return route;
    },
    listener(incoming: IncomingMessage, outgoing: ServerResponse) {
      const direct = incoming.method === 'POST' ? routes.get(incoming.url ?? '') : undefined;
      if (!direct) {
        app(incoming, outgoing);
        return;
      }
      // What app.handle and the router set up for a matched route, as express's own types describe it.
      const req = Object.setPrototypeOf(incoming, app.request) as Request;
      const res = Object.setPrototypeOf(outgoing, app.response) as Response;
      req.res = res;
      res.req = req;
      res.locals = Object.create(null) as Record<string, unknown>;
      req.originalUrl = req.url;
      req.baseUrl = '';
      req.params = {};
      req.route = direct.route;
      run(direct.handlers, req, res);
    },
  };
}

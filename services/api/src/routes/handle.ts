import express, { Router, type Request, type RequestHandler } from 'express';
import { methodNotAllowed } from '../../../../shared/http/error-handler';
import type { Outcome } from '../../../../shared/domain/outcome';
import { answerFor, send } from '../../../../shared/http/respond';
import type { Counter } from 'prom-client';
import type { Parsed } from './bodies';

/** The contract's bodies are at most 1 MiB; any content type is read as JSON (older nodes send text/plain). */
export const jsonBody = express.json({ limit: '1mb', type: () => true, strict: true });

/**
 * A node-facing route: parse the body, run the use case, answer, count the
 * outcome by result and cause. Nothing else happens in a route.
 */
export function nodeRoute<Body, Result>(options: {
  parse: (raw: unknown) => Parsed<Body>;
  run: (body: Body, req: Request) => Promise<Outcome<Result>>;
  outcomes: Counter<'result' | 'cause'>;
}): RequestHandler {
  return async (req, res) => {
    const parsed = options.parse(req.body);
    const outcome: Outcome<Result> = parsed.ok
      ? await options.run(parsed.body, req)
      : { kind: 'refused', overall: [parsed.cause], nodes: [] };
    const answer = answerFor(outcome);
    const result = answer.status === 200 ? 'success' : 'failure';
    if (answer.codes.length === 0) options.outcomes.inc({ result, cause: 'none' });
    for (const cause of answer.codes) options.outcomes.inc({ result, cause });
    send(res, answer);
  };
}

/** A path that answers POST with `handler` (after reading the JSON body) and 405 to any other method. */
export function postOnly(path: string, handler: RequestHandler): Router {
  const router = Router();
  router.route(path).post(jsonBody, handler).all(methodNotAllowed('POST'));
  return router;
}

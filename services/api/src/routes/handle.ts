import { type Express, type Request, type RequestHandler } from 'express';
import { methodNotAllowed } from '#shared/http/error-handler';
import type { AttemptSubject } from '#shared/domain/attempt';
import type { Outcome } from '#shared/domain/outcome';
import { jsonBody } from '#shared/http/json-body';
import { answerFor, send } from '#shared/http/respond';
import type { Counter, Histogram } from 'prom-client';
import { MAX_BODY_DEPTH, type Parsed } from './bodies';
import type { AttemptRecording } from './record-attempts';

const ignoreAccount = (): void => undefined;

/**
 * A node-facing POST route: parse the body, run the use case, answer, count
 * the outcome by result and cause and time it by status, and, for routes
 * that keep them, hand the attempt to its buffer after answering. Nothing
 * else happens in a route. Other methods on the path get 405.
 */
export function mountNodeRoute<Body, Result>(
  app: Express,
  options: {
    path: string;
    /** The largest body a valid request of this route can need. */
    bodyLimitBytes: number;
    parse: (raw: unknown) => Parsed<Body>;
    run: (body: Body, req: Request, onAccount: (subject: AttemptSubject) => void) => Promise<Outcome<Result>>;
    outcomes: Counter<'result' | 'cause'>;
    latency: Histogram<'route' | 'method' | 'status'>;
    /** Registrations and unbindings; heartbeats keep none and pay nothing for it. */
    attempts?: AttemptRecording<Result>;
  },
): void {
  const { attempts } = options;
  // Label children made once: the heartbeat path should not hash label sets per request.
  const succeeded = options.outcomes.labels('success', 'none');
  const timers = new Map<number, { observe(seconds: number): void }>();
  const observe = (status: number, startedAt: bigint) => {
    let timer = timers.get(status);
    if (!timer) {
      timer = options.latency.labels(options.path, 'POST', String(status));
      timers.set(status, timer);
    }
    timer.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
  };

  const handler: RequestHandler = async (req, res) => {
    const startedAt = process.hrtime.bigint();
    const attempt = attempts?.start(req, res);
    try {
      const parsed = options.parse(req.body);
      const outcome: Outcome<Result> = parsed.ok
        ? await options.run(parsed.body, req, attempt?.onAccount ?? ignoreAccount)
        : { kind: 'refused', overall: [parsed.cause], nodes: [] };
      const answer = answerFor(outcome);
      if (answer.status === 200 && answer.codes.length === 0) succeeded.inc();
      else for (const cause of answer.codes.length > 0 ? answer.codes : ['none']) options.outcomes.inc({ result: 'failure', cause });
      send(res, answer);
      observe(answer.status, startedAt);
      attempt?.answered(outcome, answer.status);
    } catch (error) {
      observe(500, startedAt);
      attempt?.failed();
      throw error;
    }
  };
  // On the app itself, not in a nested router: one routing layer less on every heartbeat.
  const readBody = jsonBody({ limitBytes: options.bodyLimitBytes, maxDepth: MAX_BODY_DEPTH });
  app.route(options.path).post(readBody, handler).all(methodNotAllowed('POST'));
}

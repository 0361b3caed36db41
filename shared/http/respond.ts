import type { ServerResponse } from 'node:http';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES } from '#shared/domain/causes';
import { shownNodes, type Outcome, type Refused } from '#shared/domain/outcome';

/**
 * The one place where outcomes become HTTP: status codes, the contract's body
 * shapes and the messages of the catalogue.
 */
export interface HttpAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Cause codes in the answer, for metrics (closed set). */
  codes: string[];
}

function refusalStatus(refused: Refused): number {
  const first = refused.overall[0];
  if (first) return OVERALL_CAUSES[first.code].status;
  const isStoreFailure = refused.nodes.some((node) => node.causes.some((code) => NODE_CAUSES[code].isStoreFailure));
  return isStoreFailure ? 503 : 409;
}

function refusalAnswer(refused: Refused): HttpAnswer {
  const nodes = shownNodes(refused);
  const body = {
    result: 'failure',
    overall: refused.overall.map(({ code, details }) => ({ code, message: OVERALL_CAUSES[code].message, ...(details ? { details } : {}) })),
    nodes: nodes.map(({ causes, ...ids }) => ({ ...ids, causes: causes.map((code) => ({ code, message: NODE_CAUSES[code].message })) })),
    ...(refused.unbound && refused.overall.length === 0 ? { unbound: refused.unbound } : {}),
    ...(refused.isDryRun ? { dryRun: true } : {}),
  };
  const codes = [...refused.overall.map((cause) => cause.code), ...nodes.flatMap((node) => node.causes)];
  return { status: refusalStatus(refused), body, codes: [...new Set(codes)] };
}

/**
 * The statuses the fallback cause answers with (rule 7 and v1.1): an
 * unexpected error, throttling, an unknown route or method, and an
 * Idempotency-Key still in flight (409) or reused with another body (422).
 */
export type FallbackStatus = 500 | 429 | 404 | 405 | 409 | 422;

/** Display rule 5 and rule 7: one fallback cause, never any detail. */
export function fallbackAnswer(status: FallbackStatus, headers?: Record<string, string>): HttpAnswer {
  return {
    status,
    body: { result: 'failure', overall: [{ code: FALLBACK_CAUSE.code, message: FALLBACK_CAUSE.message }], nodes: [] },
    codes: [FALLBACK_CAUSE.code],
    ...(headers ? { headers } : {}),
  };
}

/** A registration's dry run says so in every answer it gets (contract v1.1), the fallback ones too. */
export function markedDryRun(answer: HttpAnswer): HttpAnswer {
  return { ...answer, body: { ...(answer.body as object), dryRun: true } };
}

export function answerFor<Body>(outcome: Outcome<Body>): HttpAnswer {
  switch (outcome.kind) {
    case 'succeeded':
      return { status: 200, body: outcome.body, codes: [] };
    case 'refused':
      return refusalAnswer(outcome);
    case 'throttled': {
      const answer = fallbackAnswer(429, { 'Retry-After': String(outcome.retryAfterSeconds) });
      return outcome.isDryRun ? markedDryRun(answer) : answer;
    }
  }
}

/**
 * Writes the answer straight to Node's response: express's `res.json` would
 * re-derive the content type, compute freshness and split header and body
 * into two writes, which on the heartbeat path costs more than the rest of
 * the request.
 */
export function send(res: ServerResponse, answer: HttpAnswer): void {
  if (answer.headers) for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.statusCode = answer.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}

import type { DirectRoutes } from '#shared/http/direct-routes';
import type { HttpHandler, HttpRequest, HttpResponse } from '#shared/http/node-http';
import type { SourceAddresses } from '#shared/http/source-address';
import { methodNotAllowed } from '#shared/http/error-handler';
import type { AttemptKind, AttemptSubject } from '#shared/domain/attempt';
import type { OverallCause } from '#shared/domain/causes';
import { refuseOverall, type Outcome, type Refused } from '#shared/domain/outcome';
import { jsonBody } from '#shared/http/json-body';
import { requestIdOf } from '#shared/http/request-id';
import { noteAccess } from '#shared/http/access-log';
import { answerFor, fallbackAnswer, markedDryRun, send } from '#shared/http/respond';
import type { AttemptWriter } from '#shared/storage/mysql/attempt-writer';
import type { IdempotencyStore } from '#shared/storage/redis/idempotency';
import type { Counter } from 'prom-client';
import type { UseCaseContext } from '../use-cases/context';
import { answeringStoreFailures } from '../use-cases/store-failure';
import { MAX_BODY_DEPTH, type Parsed } from './bodies';
import { fingerprintOf, isFinal, keep, readIdempotencyKey, replayed, type Idempotency } from './idempotency';
import { recordAttempts, type AttemptRecording, type PendingAttempt } from './record-attempts';

/** What the routes that check a password need besides the use cases: where attempts and idempotent answers go, and the caller's address. */
export interface CredentialRouteDeps {
  attempts: AttemptWriter;
  idempotency: IdempotencyStore;
  sourceAddresses: SourceAddresses;
}

/** What registrations and unbindings share: attempts kept for support, and Idempotency-Key scoped by the account the body names. */
export function credentialRouteOptions(kind: AttemptKind, context: UseCaseContext, deps: CredentialRouteDeps) {
  return {
    idempotency: {
      store: deps.idempotency,
      tokens: context.tokens,
      logger: context.logger,
      accountOf: (body: { account: string }) => body.account,
      nodesOf: (body: { nodes: ReadonlyArray<{ nodeId: string; machineCode: string }> }) => body.nodes,
    },
    attempts: recordAttempts(kind, deps.attempts, { now: context.now, sourceAddresses: deps.sourceAddresses }),
  };
}

/**
 * A node-facing POST route: parse the body, run the use case, answer, count
 * the outcome by result and cause, and, for routes that keep them, hand the
 * attempt to its buffer after answering. Nothing else happens in a route.
 * Other methods on the path get 405. Timing and the access line are the
 * app's (shared/http/access-log.ts), for every answer alike.
 */
export function mountNodeRoute<Body, Result>(
  routes: DirectRoutes,
  options: {
    path: string;
    /** The largest body a valid request of this route can need. */
    bodyLimitBytes: number;
    parse: (raw: unknown) => Parsed<Body>;
    /** `requestId` goes with every warning the request's store calls log. */
    run: (body: Body, req: HttpRequest, onAccount: (subject: AttemptSubject) => void, requestId: string) => Promise<Outcome<Result>>;
    outcomes: Counter<'result' | 'cause'>;
    /** Registrations and unbindings; heartbeats keep none and pay nothing for it. */
    attempts?: AttemptRecording<Result>;
    /** Registrations and unbindings honour Idempotency-Key, scoped by the account the body names. */
    idempotency?: Idempotency & {
      accountOf: (body: Body) => string;
      /** Who carries the store's cause when the key cannot be claimed (display rule 4, as without a key). */
      nodesOf: (body: Body) => ReadonlyArray<{ nodeId: string; machineCode: string }>;
    };
    /** Registrations: whether a body asks for a dry run, so a refusal of its parameters says so too. */
    isDryRun?: (raw: unknown) => boolean;
  },
): void {
  const { attempts } = options;
  // Label children made once: the heartbeat path should not hash label sets per request.
  const succeeded = options.outcomes.labels('success', 'none');

  /** The account the use case resolved goes to the request's access line and to its attempt. */
  const onAccountOf =
    (res: HttpResponse, attempt: PendingAttempt<Result> | undefined) =>
    (subject: AttemptSubject): void => {
      noteAccess(res, { accountId: subject.accountId });
      attempt?.onAccount(subject);
    };

  /** Answers an outcome, counted and recorded as an attempt. */
  const answerOutcome = (res: HttpResponse, outcome: Outcome<Result>, attempt: PendingAttempt<Result> | undefined): void => {
    const answer = answerFor(outcome);
    if (answer.status === 200 && answer.codes.length === 0) succeeded.inc();
    else for (const cause of answer.codes.length > 0 ? answer.codes : ['none']) options.outcomes.inc({ result: 'failure', cause });
    send(res, answer);
    attempt?.answered(outcome, answer.status);
  };

  /**
   * With an Idempotency-Key the claim decides: the first request runs and
   * keeps its final answer, a repeat gets that answer again, and the rest
   * (still in flight, another body) get the fallback cause. Nothing but the
   * first run reaches the use case, so repeats count for no attempt.
   */
  const answerOnce = async (
    idempotency: NonNullable<typeof options.idempotency>,
    request: { req: HttpRequest; res: HttpResponse; body: Body; key: string; isDryRun: boolean },
    attempt?: PendingAttempt<Result>,
  ) => {
    const { req, res, body, key, isDryRun } = request;
    const scope = { path: options.path, account: idempotency.accountOf(body), key };
    const claim = await answeringStoreFailures(idempotency.nodesOf(body), () => idempotency.store.claim(scope, fingerprintOf(req.body)));
    if (claim.kind === 'refused') {
      answerOutcome(res, isDryRun ? { ...claim, isDryRun } : claim, attempt);
      return;
    }
    if (claim.kind === 'replay') {
      send(res, replayed(claim.answer, idempotency.tokens));
      return;
    }
    if (claim.kind !== 'claimed') {
      const answer = fallbackAnswer(claim.kind === 'in-flight' ? 409 : 422);
      send(res, isDryRun ? markedDryRun(answer) : answer);
      return;
    }
    let outcome: Outcome<Result>;
    try {
      outcome = await options.run(body, req, onAccountOf(res, attempt), requestIdOf(res));
    } catch (error) {
      await claim
        .release()
        .catch((releaseError: unknown) =>
          idempotency.logger.warn({ err: releaseError, requestId: requestIdOf(res) }, 'could not release an idempotency key'),
        );
      throw error;
    }
    const answer = answerFor(outcome);
    // A key that cannot be kept is released instead: a retry then runs again, which a registration and an unbinding allow.
    const settled = isFinal(answer) ? Promise.resolve().then(() => claim.keep(keep(answer, idempotency.tokens))) : claim.release();
    await settled.catch(async (error: unknown) => {
      idempotency.logger.warn({ err: error, requestId: requestIdOf(res) }, 'could not keep an idempotent answer');
      await claim.release().catch(() => undefined);
    });
    answerOutcome(res, outcome, attempt);
  };

  const handler: HttpHandler = async (req, res) => {
    const attempt = attempts?.start(req, res);
    // Read from the raw body, so that a refusal of its parameters says so too.
    const isDryRun = options.isDryRun?.(req.body) === true;
    /** A refusal of the request itself, before any use case ran. */
    const refuseRequest = (cause: OverallCause): Refused => ({ ...refuseOverall(cause), ...(isDryRun ? { isDryRun } : {}) });
    try {
      const parsed = options.parse(req.body);
      if (!parsed.ok) {
        answerOutcome(res, refuseRequest(parsed.cause), attempt);
        return;
      }
      const { idempotency } = options;
      const idempotencyKey = idempotency ? readIdempotencyKey(req) : { ok: true as const, key: undefined };
      if (!idempotencyKey.ok) {
        answerOutcome(res, refuseRequest({ code: 'INCORRECT_PARAMETER', details: { field: 'Idempotency-Key' } }), attempt);
      } else if (idempotency && idempotencyKey.key !== undefined) {
        await answerOnce(idempotency, { req, res, body: parsed.body, key: idempotencyKey.key, isDryRun }, attempt);
      } else {
        answerOutcome(res, await options.run(parsed.body, req, onAccountOf(res, attempt), requestIdOf(res)), attempt);
      }
    } catch (error) {
      attempt?.failed();
      throw error;
    }
  };
  const readBody = jsonBody({ limitBytes: options.bodyLimitBytes, maxDepth: MAX_BODY_DEPTH });
  routes.post(options.path, readBody, handler).all(methodNotAllowed('POST'));
}

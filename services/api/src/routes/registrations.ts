import type { Express } from 'express';
import type { AttemptWriter } from '#shared/storage/mysql/attempt-writer';
import type { IdempotencyStore } from '#shared/storage/redis/idempotency';
import { registerCluster } from '../use-cases/register-cluster';
import type { UseCaseContext } from '../use-cases/context';
import { BODY_LIMITS, parseRegistration } from './bodies';
import { mountNodeRoute } from './handle';
import { sourceAddress } from '#shared/http/source-address';
import { recordAttempts } from './record-attempts';

export function mountRegistrationsRoute(
  app: Express,
  context: UseCaseContext,
  attempts: AttemptWriter,
  idempotency: IdempotencyStore,
): void {
  mountNodeRoute(app, {
    path: '/v1/registrations',
    bodyLimitBytes: BODY_LIMITS.registration,
    parse: parseRegistration,
    run: (body, req, onAccount, requestId) => registerCluster(context, body, { address: sourceAddress(req), onAccount, requestId }),
    outcomes: context.metrics.outcomes.registrations,
    idempotency: { store: idempotency, tokens: context.tokens, logger: context.logger, accountOf: (body) => body.account },
    attempts: recordAttempts('registration', attempts, context.now),
  });
}

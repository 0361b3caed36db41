import type { Express } from 'express';
import type { AttemptWriter } from '#shared/storage/mysql/attempt-writer';
import type { IdempotencyStore } from '#shared/storage/redis/idempotency';
import { unbindNodes } from '../use-cases/unbind-nodes';
import type { UseCaseContext } from '../use-cases/context';
import { BODY_LIMITS, parseUnbinding } from './bodies';
import { mountNodeRoute } from './handle';
import { sourceAddress } from '#shared/http/source-address';
import { recordAttempts } from './record-attempts';

export function mountUnbindingsRoute(app: Express, context: UseCaseContext, attempts: AttemptWriter, idempotency: IdempotencyStore): void {
  mountNodeRoute(app, {
    path: '/v1/unbindings',
    bodyLimitBytes: BODY_LIMITS.unbinding,
    parse: parseUnbinding,
    run: (body, req, onAccount, requestId) => unbindNodes(context, body, { address: sourceAddress(req), onAccount, requestId }),
    outcomes: context.metrics.outcomes.unbindings,
    idempotency: { store: idempotency, tokens: context.tokens, logger: context.logger, accountOf: (body) => body.account },
    attempts: recordAttempts('unbinding', attempts, context.now),
  });
}

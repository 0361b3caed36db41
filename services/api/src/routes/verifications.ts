import type { Router } from 'express';
import { verifyBinding } from '../use-cases/verify-binding';
import type { UseCaseContext } from '../use-cases/context';
import { parseVerification } from './bodies';
import { nodeRoute } from './handle';

export function verificationsRoute(context: UseCaseContext): Router {
  return nodeRoute({
    path: '/v1/verifications',
    parse: parseVerification,
    run: (body) => verifyBinding(context, body),
    outcomes: context.metrics.outcomes.verifications,
    latency: context.metrics.httpDuration,
  });
}

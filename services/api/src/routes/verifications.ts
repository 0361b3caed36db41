import type { DirectRoutes } from '#shared/http/direct-routes';
import { verifyBinding } from '../use-cases/verify-binding';
import type { UseCaseContext } from '../use-cases/context';
import { BODY_LIMITS, parseVerification } from './bodies';
import { mountNodeRoute } from './handle';

export function mountVerificationsRoute(routes: DirectRoutes, context: UseCaseContext): void {
  mountNodeRoute(routes, {
    path: '/v1/verifications',
    bodyLimitBytes: BODY_LIMITS.verification,
    parse: parseVerification,
    run: (body, _req, onAccount, requestId) => verifyBinding(context, body, { requestId, onAccount }),
    outcomes: context.metrics.outcomes.verifications,
  });
}

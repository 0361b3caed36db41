import type { DirectRoutes } from '#shared/http/direct-routes';
import { registerCluster } from '../use-cases/register-cluster';
import type { UseCaseContext } from '../use-cases/context';
import { BODY_LIMITS, isDryRunBody, parseRegistration } from './bodies';
import { credentialRouteOptions, mountNodeRoute, type CredentialRouteDeps } from './handle';

export function mountRegistrationsRoute(routes: DirectRoutes, context: UseCaseContext, deps: CredentialRouteDeps): void {
  mountNodeRoute(routes, {
    path: '/v1/registrations',
    bodyLimitBytes: BODY_LIMITS.registration,
    parse: parseRegistration,
    isDryRun: isDryRunBody,
    run: (body, req, onAccount, requestId) =>
      registerCluster(context, body, { address: deps.sourceAddresses.of(req), onAccount, requestId }),
    outcomes: context.metrics.outcomes.registrations,
    ...credentialRouteOptions('registration', context, deps),
  });
}

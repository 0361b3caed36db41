import type { DirectRoutes } from '#shared/http/direct-routes';
import { unbindNodes } from '../use-cases/unbind-nodes';
import type { UseCaseContext } from '../use-cases/context';
import { BODY_LIMITS, parseUnbinding } from './bodies';
import { credentialRouteOptions, mountNodeRoute, type CredentialRouteDeps } from './handle';

export function mountUnbindingsRoute(routes: DirectRoutes, context: UseCaseContext, deps: CredentialRouteDeps): void {
  mountNodeRoute(routes, {
    path: '/v1/unbindings',
    bodyLimitBytes: BODY_LIMITS.unbinding,
    parse: parseUnbinding,
    run: (body, req, onAccount, requestId) => unbindNodes(context, body, { address: deps.sourceAddresses.of(req), onAccount, requestId }),
    outcomes: context.metrics.outcomes.unbindings,
    ...credentialRouteOptions('unbinding', context, deps),
  });
}

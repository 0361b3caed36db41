import type { Express } from 'express';
import { registerCluster } from '../use-cases/register-cluster';
import type { UseCaseContext } from '../use-cases/context';
import { BODY_LIMITS, parseRegistration } from './bodies';
import { mountNodeRoute } from './handle';
import { sourceAddress } from '../../../../shared/http/source-address';

export function mountRegistrationsRoute(app: Express, context: UseCaseContext): void {
  mountNodeRoute(app, {
    path: '/v1/registrations',
    bodyLimitBytes: BODY_LIMITS.registration,
    parse: parseRegistration,
    run: (body, req) => registerCluster(context, body, sourceAddress(req)),
    outcomes: context.metrics.outcomes.registrations,
    latency: context.metrics.httpDuration,
  });
}

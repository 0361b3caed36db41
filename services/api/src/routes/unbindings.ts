import type { Express } from 'express';
import { unbindNodes } from '../use-cases/unbind-nodes';
import type { UseCaseContext } from '../use-cases/context';
import { BODY_LIMITS, parseUnbinding } from './bodies';
import { mountNodeRoute } from './handle';
import { sourceAddress } from '../../../../shared/http/source-address';

export function mountUnbindingsRoute(app: Express, context: UseCaseContext): void {
  mountNodeRoute(app, {
    path: '/v1/unbindings',
    bodyLimitBytes: BODY_LIMITS.unbinding,
    parse: parseUnbinding,
    run: (body, req) => unbindNodes(context, body, sourceAddress(req)),
    outcomes: context.metrics.outcomes.unbindings,
    latency: context.metrics.httpDuration,
  });
}

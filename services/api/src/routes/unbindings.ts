import type { Router } from 'express';
import { unbindNodes } from '../use-cases/unbind-nodes';
import type { UseCaseContext } from '../use-cases/context';
import { parseUnbinding } from './bodies';
import { nodeRoute, postOnly } from './handle';
import { sourceAddress } from './source-address';

export function unbindingsRoute(context: UseCaseContext): Router {
  return postOnly(
    '/v1/unbindings',
    nodeRoute({ parse: parseUnbinding, run: (body, req) => unbindNodes(context, body, sourceAddress(req)), outcomes: context.metrics.outcomes.unbindings }),
  );
}

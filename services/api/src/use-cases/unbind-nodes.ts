import { unbindingAccountCauses } from '#shared/domain/check-registration';
import { refuseNodes, refuseOverall, type Outcome } from '#shared/domain/outcome';
import type { UnbindingRequest } from '#shared/domain/requests';
import type { AccountRecord } from '#shared/storage/mysql/accounts';
import { whenAuthenticated } from './authenticate-account';
import type { Caller } from './caller';
import type { UseCaseContext } from './context';
import { answeringStoreFailures } from './store-failure';

export interface Unbound {
  result: 'success';
  nodes: Array<{ nodeId: string; machineCode: string }>;
}

/**
 * Unbinds each node on its own: machines not bound to the account carry
 * NOT_BOUND while the others are unbound. A store failure changes nothing
 * and is carried by every node of the request. Over the unbinding quota the
 * request is refused whole, answered like throttling (429, Retry-After,
 * the fallback cause), and nothing is unbound.
 */
export function unbindNodes(context: UseCaseContext, body: UnbindingRequest, caller: Caller): Promise<Outcome<Unbound>> {
  return answeringStoreFailures(body.nodes, () =>
    whenAuthenticated(context, body, caller, ({ certificate }) => unbindAuthenticated(context, body, caller, certificate)),
  );
}

async function unbindAuthenticated(
  context: UseCaseContext,
  body: UnbindingRequest,
  caller: Caller,
  certificate: AccountRecord['certificate'],
): Promise<Outcome<Unbound>> {
  const overall = unbindingAccountCauses(certificate, context.now());
  if (overall.length > 0) return refuseOverall(...overall);

  const unbound = await context.bindingStore.unbind(
    certificate.id,
    body.nodes.map((node) => node.machineCode),
    caller.requestId,
  );
  if (unbound.kind === 'over-quota') return { kind: 'throttled', retryAfterSeconds: unbound.retryAfterSeconds };
  const wasBound = new Set(unbound.bound);
  const nodes = body.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode }));
  const notBound = nodes.filter((node) => !wasBound.has(node.machineCode));
  if (notBound.length === 0) return { kind: 'succeeded', body: { result: 'success', nodes } };
  return refuseNodes(
    notBound.map((node) => ({ ...node, causes: ['NOT_BOUND'] })),
    nodes.filter((node) => wasBound.has(node.machineCode)).map((node) => node.nodeId),
  );
}

import { nodeFailures, nodeRangeCauses, registrationAccountCauses } from '#shared/domain/check-registration';
import { refuseNodes, refuseOverall, type Outcome } from '#shared/domain/outcome';
import { normaliseHostName } from '#shared/domain/ranges';
import type { RegistrationNode, RegistrationRequest } from '#shared/domain/requests';
import { authenticateAccount } from './authenticate-account';
import type { Caller } from './caller';
import type { UseCaseContext } from './context';
import { answeringStoreFailures } from './store-failure';

export interface Registered {
  result: 'success';
  account: string;
  expiresAt: string;
  maxRegistrations: number;
  used: number;
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

/**
 * Registers every node of a cluster, or none. Stages run in the contract's
 * order and the first that fails answers alone: credentials, account causes,
 * then node causes (ranges and seats together, display rules 1 and 3).
 */
export function registerCluster(context: UseCaseContext, body: RegistrationRequest, caller: Caller): Promise<Outcome<Registered>> {
  return answeringStoreFailures(body.nodes, async () => {
    const auth = await authenticateAccount(context, body, caller);
    if (auth.kind !== 'authenticated') return auth;
    const { certificate } = auth.account;

    const overall = registrationAccountCauses(certificate, body.appVersion, context.now());
    if (overall.length > 0) return refuseOverall(...overall);

    const rangeCauses = body.nodes.map((node) => nodeRangeCauses(certificate, node));
    const result = await context.bindingStore.bind({
      accountId: certificate.id,
      maxRegistrations: certificate.maxRegistrations,
      commit: rangeCauses.every((causes) => causes.length === 0),
      nodes: body.nodes.map((node) => ({
        machineCode: node.machineCode,
        nodeId: node.nodeId,
        ip: node.ip,
        domain: node.domain === undefined ? null : normaliseHostName(node.domain),
        appName: node.appName,
        mac: node.mac ?? null,
        appVersion: body.appVersion,
      })),
    });

    if (result.kind === 'bound') {
      return {
        kind: 'succeeded',
        body: {
          result: 'success',
          account: certificate.name,
          expiresAt: certificate.expiresAt,
          maxRegistrations: certificate.maxRegistrations,
          used: result.used,
          nodes: body.nodes.map((node, index) => ({
            nodeId: node.nodeId,
            machineCode: node.machineCode,
            token: context.tokens.derive(certificate.id, result.nonces[index] as string, node.machineCode),
          })),
        },
      };
    }
    const overflow = result.kind === 'over' ? result.overflowIndices : [];
    return refuseNodes(
      nodeFailures(rangeCauses, overflow).map(({ index, causes }) => {
        const node = body.nodes[index] as RegistrationNode;
        return { nodeId: node.nodeId, machineCode: node.machineCode, causes };
      }),
    );
  });
}

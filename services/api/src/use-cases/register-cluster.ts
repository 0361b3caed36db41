import { nodeFailures, nodeRangeCauses, registrationAccountCauses } from '#shared/domain/check-registration';
import { answeredCauses, refuseNodes, refuseOverall, type Outcome, type Refused } from '#shared/domain/outcome';
import { normaliseHostName } from '#shared/domain/ranges';
import type { RegistrationNode, RegistrationRequest } from '#shared/domain/requests';
import type { SignedLease } from '#shared/security/leases';
import type { AccountRecord } from '#shared/storage/mysql/accounts';
import { whenAuthenticated } from './authenticate-account';
import type { Caller } from './caller';
import type { UseCaseContext } from './context';
import { answeringStoreFailures } from './store-failure';

export interface Registered {
  result: 'success';
  account: string;
  expiresAt: string;
  maxRegistrations: number;
  used: number;
  /** A dry run's nodes carry no token and no lease: nothing was bound that it could verify. */
  nodes: Array<{ nodeId: string; machineCode: string; token?: string; lease?: string }>;
  dryRun?: true;
}

/**
 * Registers every node of a cluster, or none. Stages run in the contract's
 * order and the first that fails answers alone: credentials, account causes,
 * then node causes (ranges and seats together, display rules 1 and 3).
 * A dry run runs the same stages (its login counts for throttling like any
 * other) and binds nothing; every answer it gives says so.
 */
export async function registerCluster(context: UseCaseContext, body: RegistrationRequest, caller: Caller): Promise<Outcome<Registered>> {
  const authenticated: { accountId?: number } = {};
  const outcome = await answeringStoreFailures(body.nodes, () => checkAndBind(context, body, caller, authenticated));
  if (body.dryRun !== true) {
    return authenticated.accountId === undefined || outcome.kind !== 'refused'
      ? outcome
      : announceFailure(context, body, authenticated.accountId, outcome);
  }
  switch (outcome.kind) {
    case 'succeeded':
      return { kind: 'succeeded', body: { ...outcome.body, dryRun: true } };
    case 'refused':
    case 'throttled':
      return { ...outcome, isDryRun: true };
  }
}

/**
 * A real registration refused after its credentials passed is announced
 * (webhook `registration.failed`) with the codes it answered, before the
 * answer leaves: if the event cannot be written, the node is answered the
 * store's cause and tries again, so the event is written at least once.
 * Wrong passwords announce nothing: guessing floods reach no receiver.
 */
async function announceFailure(
  context: UseCaseContext,
  body: RegistrationRequest,
  accountId: number,
  refused: Refused,
): Promise<Outcome<Registered>> {
  // As the node was answered (display rules applied), the same codes its attempt records.
  const { overall, nodes } = answeredCauses(refused);
  return answeringStoreFailures(body.nodes, async () => {
    await context.registrationFailures.recordRegistrationFailure(accountId, {
      overall,
      nodes,
      isSeatRefusal: nodes.some((node) => node.causes.includes('MAX_AUTHORIZATIONS_REACHED')),
    });
    return refused;
  });
}

async function checkAndBind(
  context: UseCaseContext,
  body: RegistrationRequest,
  caller: Caller,
  authenticated: { accountId?: number },
): Promise<Outcome<Registered>> {
  return whenAuthenticated(context, body, caller, ({ certificate }) => {
    authenticated.accountId = certificate.id;
    return bindAuthenticated(context, body, caller, certificate);
  });
}

async function bindAuthenticated(
  context: UseCaseContext,
  body: RegistrationRequest,
  caller: Caller,
  certificate: AccountRecord['certificate'],
): Promise<Outcome<Registered>> {
  const overall = registrationAccountCauses(certificate, body.appVersion, context.now());
  if (overall.length > 0) return refuseOverall(...overall);

  const rangeCauses = body.nodes.map((node) => nodeRangeCauses(certificate, node));
  const isInRange = rangeCauses.every((causes) => causes.length === 0);
  const nodes = body.nodes.map((node) => ({
    machineCode: node.machineCode,
    nodeId: node.nodeId,
    ip: node.ip,
    domain: node.domain === undefined ? null : normaliseHostName(node.domain),
    appName: node.appName,
    mac: node.mac ?? null,
    appVersion: body.appVersion,
  }));
  const succeeded = (used: number, answered: Registered['nodes']): Outcome<Registered> => ({
    kind: 'succeeded',
    body: {
      result: 'success',
      account: certificate.name,
      expiresAt: certificate.expiresAt,
      maxRegistrations: certificate.maxRegistrations,
      used,
      nodes: answered,
    },
  });
  const refused = (overflow: readonly number[]) =>
    refuseNodes(
      nodeFailures(rangeCauses, overflow).map(({ index, causes }) => {
        const node = body.nodes[index] as RegistrationNode;
        return { nodeId: node.nodeId, machineCode: node.machineCode, causes };
      }),
    );

  if (body.dryRun === true) {
    const seats = await context.bindingStore.preview({ accountId: certificate.id, nodes, requestId: caller.requestId });
    if (seats.kind === 'over') return refused(seats.overflowIndices);
    return isInRange
      ? succeeded(
          seats.used,
          body.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
        )
      : refused([]);
  }

  // Signed while the ledger writes, so they can go to Redis with the commit; not when a range already refuses the registration.
  const leases = isInRange
    ? Promise.all(
        body.nodes.map((node) =>
          context.leases.sign({ machineCode: node.machineCode, expiresAt: certificate.expiresAt, accountName: () => certificate.name }),
        ),
      )
    : undefined;
  const [result, signed] = await Promise.all([
    context.bindingStore.bind({
      requestId: caller.requestId,
      accountId: certificate.id,
      maxRegistrations: certificate.maxRegistrations,
      commit: isInRange,
      nodes,
      leases,
    }),
    leases,
  ]);
  if (result.kind !== 'bound' || !signed) return refused(result.kind === 'over' ? result.overflowIndices : []);
  // The lease comes after the token: an Idempotency-Key replay adds the token back last, and answers the same bytes.
  const answered = body.nodes.map(({ nodeId, machineCode }, index) => {
    const nonce = result.nonces[index] as string;
    const { lease } = signed[index] as SignedLease;
    return { nodeId, machineCode, token: context.tokens.derive(certificate.id, nonce, machineCode), lease };
  });
  return succeeded(result.used, answered);
}

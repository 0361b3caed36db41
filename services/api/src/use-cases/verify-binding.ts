import { ACCOUNT_STATUSES, type AccountStatus } from '#shared/domain/account';
import { verificationAccountCauses } from '#shared/domain/check-registration';
import { refuseNodes, refuseOverall, type Outcome, type Refused } from '#shared/domain/outcome';
import type { AttemptSubject } from '#shared/domain/attempt';
import type { VerificationRequest } from '#shared/domain/requests';
import type { UseCaseContext } from './context';

export interface Valid {
  result: 'valid';
  expiresAt: string;
  /** The node's offline allowance (contract "Signed leases"); a refusal carries none. */
  lease: string;
}

function notBound(machineCode: string): Refused {
  return refuseNodes([{ machineCode, causes: ['NOT_BOUND'] }]);
}

function toStatus(value: string): AccountStatus {
  const status = ACCOUNT_STATUSES.find((known) => known === value);
  if (!status) throw new Error(`unknown account status in store: ${value}`);
  return status;
}

/**
 * The heartbeat: no bcrypt, no MySQL on the hot path. The token is checked
 * (HMAC, constant time) before any store is asked, then one Redis round trip
 * confirms the binding, records last-seen and returns the certificate state
 * and the lease kept beside the binding, re-used while less than half used
 * up; a binding MySQL confirmed gone is refused from Redis alone after that.
 */
export async function verifyBinding(
  context: UseCaseContext,
  body: VerificationRequest,
  request: { requestId?: string; onAccount?: (subject: AttemptSubject) => void } = {},
): Promise<Outcome<Valid>> {
  const token = context.tokens.parse(body.token, body.machineCode);
  if (!token) return notBound(body.machineCode);
  // An authentic token names its account: the access line says which.
  request.onAccount?.({ accountId: token.accountId, hasPassedCredentials: true });
  const { requestId } = request;

  const now = context.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const binding = await context.bindingStore.verify({
    accountId: token.accountId,
    machineCode: body.machineCode,
    nonce: token.nonce,
    nowSeconds,
    lastSeenIntervalSeconds: context.config.lastSeenPersistSeconds,
    requestId,
  });
  if (binding.kind === 'not-bound') return notBound(body.machineCode);

  if (binding.isLastSeenRecorded) context.lastSeen.record(token.accountId, body.machineCode, nowSeconds);
  const overall = verificationAccountCauses({ status: toStatus(binding.status), expiresAt: binding.expiresAt }, now);
  if (overall.length > 0) return refuseOverall(...overall);
  // Most heartbeats re-use the lease kept beside the binding; only a new one asks for the account's name.
  const { lease, signed } = await context.leases.issue({
    machineCode: body.machineCode,
    nonce: token.nonce,
    expiresAt: binding.expiresAt,
    accountName: () => context.accountNames.of(token.accountId),
    held: binding.heldLease,
  });
  if (signed) await context.bindingStore.keepLeases(token.accountId, [{ machineCode: body.machineCode, held: signed }], requestId);
  return { kind: 'succeeded', body: { result: 'valid', expiresAt: binding.expiresAt, lease } };
}

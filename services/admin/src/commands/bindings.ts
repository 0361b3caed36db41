import type { AdminDeps } from '../deps';
import type { Origin } from './accounts';
import { publishChange, type Applied } from './publish-change';

/** Staff releasing a seat: the machine's binding goes, and with it every token its node holds. */
export interface ReleaseBindingInput extends Origin {
  name: string;
  machineCode: string;
}

export interface Released {
  name: string;
  machineCode: string;
  released: true;
}

export type ReleaseOutcome = Applied<Released> | { kind: 'not-found' } | { kind: 'not-bound' };

export async function releaseBinding(
  deps: Pick<AdminDeps, 'accounts' | 'bindings' | 'actor' | 'invalidate'>,
  input: ReleaseBindingInput,
): Promise<ReleaseOutcome> {
  const account = await deps.accounts.findByName(input.name);
  if (!account) return { kind: 'not-found' };
  const accountId = account.certificate.id;
  // MySQL first (the ledger decides), then Redis is fenced with the new revision,
  // so no API process can keep or reload the released binding.
  const result = await deps.bindings.release(accountId, input.machineCode, {
    actor: deps.actor,
    action: 'binding.release',
    details: { name: input.name, machineCode: input.machineCode },
    before: { machineCode: input.machineCode },
    after: null,
    sourceAddress: input.sourceAddress ?? null,
    requestId: input.requestId ?? null,
  });
  if (!result.released) return { kind: 'not-bound' };
  const warnings = await publishChange(deps, { accountId, revision: result.revision });
  return { kind: 'applied', value: { name: input.name, machineCode: input.machineCode, released: true }, warnings };
}

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
  const outcome = await releaseBindings(deps, { ...input, machineCodes: [input.machineCode] });
  if (outcome.kind !== 'applied') return outcome;
  if (outcome.value.released.length === 0) return { kind: 'not-bound' };
  return { kind: 'applied', value: { name: input.name, machineCode: input.machineCode, released: true }, warnings: outcome.warnings };
}

/** Staff releasing several seats of one account at once: one transaction, one fence of Redis. */
export interface ReleaseBindingsInput extends Origin {
  name: string;
  machineCodes: readonly string[];
}

export type ReleaseManyOutcome = Applied<{ released: string[]; notBound: string[] }> | { kind: 'not-found' };

export async function releaseBindings(
  deps: Pick<AdminDeps, 'accounts' | 'bindings' | 'actor' | 'invalidate'>,
  input: ReleaseBindingsInput,
): Promise<ReleaseManyOutcome> {
  const account = await deps.accounts.findByName(input.name);
  if (!account) return { kind: 'not-found' };
  const accountId = account.certificate.id;
  // MySQL first (the ledger decides), then Redis is fenced with the new revision,
  // so no API process can keep or reload a released binding.
  const result = await deps.bindings.release(accountId, input.machineCodes, (machineCode) => ({
    actor: deps.actor,
    action: 'binding.release',
    details: { name: input.name, machineCode },
    before: { machineCode },
    after: null,
    sourceAddress: input.sourceAddress ?? null,
    requestId: input.requestId ?? null,
  }));
  const notBound = input.machineCodes.filter((code) => !result.released.includes(code));
  const warnings = result.released.length === 0 ? [] : await publishChange(deps, { accountId, revision: result.revision });
  return { kind: 'applied', value: { released: result.released, notBound }, warnings };
}

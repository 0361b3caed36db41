import {
  NO_POLICY,
  validateAccountPolicy,
  validateAccountSettings,
  type AccountPolicy,
  type AccountSettings,
  type FieldProblem,
} from '#shared/domain/account-settings';
import { fieldChanges } from '#shared/domain/field-changes';
import type { AccountUsage } from '#shared/storage/mysql/account-directory';
import { accountFieldValues, type AccountRecord } from '#shared/storage/mysql/accounts';
import { accountNameProblems, passwordProblems } from '../account-input';
import type { AdminDeps } from '../deps';
import { publishChange, type Applied } from './publish-change';

/**
 * Staff use cases on accounts, shared by the command line and the staff
 * API: values in, values out; each front end decides how to print them.
 * Every change is audited in its own transaction with who made it and from
 * where, then reaches every API process (publishChange).
 */
export interface Origin {
  sourceAddress?: string;
  requestId?: string;
}

export interface CreateAccountInput extends Origin {
  name: string;
  password: string;
  settings: AccountSettings;
  policy?: AccountPolicy;
}

export interface UpdateAccountInput extends Origin {
  name: string;
  password?: string;
  /** Only what staff gave; everything else keeps its stored value. */
  settings: Partial<AccountSettings>;
  policy?: Partial<AccountPolicy>;
  /** Apply only if nobody changed the account since this edit revision. */
  expectedRevision?: number;
}

export interface Invalid {
  kind: 'invalid';
  problems: FieldProblem[];
}
export type CreateOutcome = Applied<AccountUsage> | Invalid | { kind: 'name-taken' };
export type UpdateOutcome =
  | Applied<AccountUsage>
  | Invalid
  | { kind: 'not-found' }
  | { kind: 'revision-mismatch'; revision: number }
  | { kind: 'seats-below-bound'; used: number; requested: number };

type Deps = Pick<AdminDeps, 'accounts' | 'directory' | 'actor' | 'invalidate' | 'hashPassword'>;

/** Reads back what was committed, so the answer shows the stored (normalised) values. */
async function reload(deps: Pick<AdminDeps, 'accounts' | 'directory'>, accountId: number): Promise<AccountUsage> {
  const record = await deps.accounts.findById(accountId);
  if (!record) throw new Error(`account ${accountId} vanished right after it was written`);
  return { record, used: await deps.directory.countBindings(accountId) };
}

function origin(input: Origin): Origin {
  return {
    ...(input.sourceAddress === undefined ? {} : { sourceAddress: input.sourceAddress }),
    ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
  };
}

export async function createAccount(deps: Deps, input: CreateAccountInput): Promise<CreateOutcome> {
  const validation = validateAccountSettings(input.settings);
  const policy = input.policy ?? NO_POLICY;
  const problems = [
    ...accountNameProblems(input.name),
    ...passwordProblems(input.password),
    ...(validation.ok ? [] : validation.problems),
    ...validateAccountPolicy(policy),
  ];
  if (!validation.ok || problems.length > 0) return { kind: 'invalid', problems };

  const passwordHash = await deps.hashPassword(input.password);
  const created = accountFieldValues({ settings: validation.settings, policy });
  const accountId = await deps.accounts.create(
    { name: input.name, passwordHash, settings: validation.settings, policy },
    {
      actor: deps.actor,
      action: 'account.create',
      details: { name: input.name, settings: validation.settings },
      before: null,
      after: created,
      ...origin(input),
    },
  );
  if (accountId === null) return { kind: 'name-taken' };
  const usage = await reload(deps, accountId);
  // A new account is invalidated too: a Redis that outlived its database may hold state under this id.
  const warnings = await publishChange(deps, { accountId, revision: usage.record.revision });
  return { kind: 'applied', value: usage, warnings };
}

export async function updateAccount(deps: Deps, input: UpdateAccountInput): Promise<UpdateOutcome> {
  const problems = input.password === undefined ? [] : passwordProblems(input.password);
  if (problems.length > 0) return { kind: 'invalid', problems };

  const passwordHash = input.password === undefined ? undefined : await deps.hashPassword(input.password);
  const isPasswordOnly =
    passwordHash !== undefined && Object.keys(input.settings).length === 0 && Object.keys(input.policy ?? {}).length === 0;
  const updated = await deps.accounts.update(input.name, {
    ...(passwordHash === undefined ? {} : { passwordHash }),
    settings: input.settings,
    ...(input.policy === undefined ? {} : { policy: input.policy }),
    ...(input.expectedRevision === undefined ? {} : { expectedRevision: input.expectedRevision }),
    audit: {
      actor: deps.actor,
      action: isPasswordOnly ? 'account.password_reset' : 'account.update',
      ...origin(input),
      describe: (before, after) => {
        const { changes, ...sides } = fieldChanges(accountFieldValues(before), accountFieldValues(after));
        // A password reset says that it happened, never what it was set to.
        return {
          details: { name: input.name, changes, isPasswordChanged: passwordHash !== undefined },
          ...(isPasswordOnly ? { before: null, after: null } : sides),
        };
      },
    },
  });
  if (updated.kind === 'unchanged') return { kind: 'applied', value: await reload(deps, updated.id), warnings: [] };
  if (updated.kind !== 'updated') return updated;
  const warnings = await publishChange(deps, { accountId: updated.id, revision: updated.revision });
  return { kind: 'applied', value: await reload(deps, updated.id), warnings };
}

export async function showAccount(deps: Pick<AdminDeps, 'accounts' | 'directory'>, name: string): Promise<AccountUsage | null> {
  const record: AccountRecord | null = await deps.accounts.findByName(name);
  return record ? { record, used: await deps.directory.countBindings(record.certificate.id) } : null;
}

export function listAccounts(deps: Pick<AdminDeps, 'directory'>): Promise<AccountUsage[]> {
  return deps.directory.listWithUsage();
}

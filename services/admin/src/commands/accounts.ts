import { checkAccountSettings, type AccountSettings } from '../../../../shared/domain/account-settings';
import type { AccountRecord } from '../../../../shared/storage/mysql/accounts';
import { checkAccountName, checkPassword } from '../account-input';
import { toAccountJson, toBindingJson, type AccountJson, type AccountWithBindingsJson } from '../account-view';
import type { AdminDeps } from '../deps';
import { publishChange, type Applied } from './publish-change';

/** Staff use cases on accounts: values in, values out; the CLI decides what to print and how to exit. */
export interface CreateAccountInput {
  name: string;
  password: string;
  settings: AccountSettings;
}

export interface UpdateAccountInput {
  name: string;
  password?: string;
  /** Only what staff gave; everything else keeps its stored value. */
  settings: Partial<AccountSettings>;
  /** Apply only if nobody changed the account since this revision. */
  expectedRevision?: number;
}

export type Invalid = { kind: 'invalid'; problems: string[] };
export type CreateOutcome = Applied<AccountJson> | Invalid | { kind: 'name-taken' };
export type UpdateOutcome = Applied<AccountJson> | Invalid | { kind: 'not-found' } | { kind: 'revision-mismatch'; revision: number };

type Deps = Pick<AdminDeps, 'accounts' | 'bindings' | 'directory' | 'actor' | 'invalidate' | 'hashPassword'>;

async function viewOf(deps: Pick<AdminDeps, 'directory'>, record: AccountRecord): Promise<AccountJson> {
  return toAccountJson(record, await deps.directory.countBindings(record.certificate.id));
}

/** Reads back what was committed, so the output shows the stored (normalised) values. */
async function reload(deps: Pick<AdminDeps, 'accounts'>, accountId: number): Promise<AccountRecord> {
  const record = await deps.accounts.findById(accountId);
  if (!record) throw new Error(`account ${accountId} vanished right after it was written`);
  return record;
}

export async function createAccount(deps: Deps, input: CreateAccountInput): Promise<CreateOutcome> {
  const check = checkAccountSettings(input.settings);
  const problems = [...checkAccountName(input.name), ...checkPassword(input.password), ...(check.ok ? [] : check.problems)];
  if (!check.ok || problems.length > 0) return { kind: 'invalid', problems };

  const passwordHash = await deps.hashPassword(input.password);
  const accountId = await deps.accounts.create(
    { name: input.name, passwordHash, settings: check.settings },
    { actor: deps.actor, action: 'account.create', details: { name: input.name, settings: check.settings } },
  );
  if (accountId === null) return { kind: 'name-taken' };
  const record = await reload(deps, accountId);
  // A new account is invalidated too: a Redis that outlived its database may hold state under this id.
  const warnings = await publishChange(deps, { accountId, revision: record.revision });
  return { kind: 'applied', value: await viewOf(deps, record), warnings };
}

/** Field by field, what the update changed, for the audit log. */
function changedSettings(before: AccountSettings, after: AccountSettings): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of Object.keys(after) as Array<keyof AccountSettings>) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}

export async function updateAccount(deps: Deps, input: UpdateAccountInput): Promise<UpdateOutcome> {
  const passwordProblems = input.password === undefined ? [] : checkPassword(input.password);
  if (passwordProblems.length > 0) return { kind: 'invalid', problems: passwordProblems };

  const passwordHash = input.password === undefined ? undefined : await deps.hashPassword(input.password);
  const updated = await deps.accounts.update(input.name, {
    ...(passwordHash === undefined ? {} : { passwordHash }),
    settings: input.settings,
    ...(input.expectedRevision === undefined ? {} : { expectedRevision: input.expectedRevision }),
    audit: {
      actor: deps.actor,
      action: 'account.update',
      details: (before, after) => ({ name: input.name, changes: changedSettings(before, after), isPasswordChanged: passwordHash !== undefined }),
    },
  });
  if (updated.kind !== 'updated') return updated;
  const record = await reload(deps, updated.id);
  const warnings = await publishChange(deps, { accountId: updated.id, revision: updated.revision });
  return { kind: 'applied', value: await viewOf(deps, record), warnings };
}

export async function showAccount(deps: Pick<AdminDeps, 'accounts' | 'bindings'>, name: string): Promise<AccountWithBindingsJson | null> {
  const record = await deps.accounts.findByName(name);
  if (!record) return null;
  const bindings = await deps.bindings.list(record.certificate.id);
  return { ...toAccountJson(record, bindings.length), bindings: bindings.map(toBindingJson) };
}

export async function listAccounts(deps: Pick<AdminDeps, 'directory'>): Promise<AccountJson[]> {
  const accounts = await deps.directory.listWithUsage();
  return accounts.map(({ record, used }) => toAccountJson(record, used));
}

import type { AccountSettings } from '#shared/domain/account-settings';
import type { Accounts } from '#shared/storage/mysql/accounts';

/** A staff change made by a test straight through the repository, audited as actor `test`. */
export async function changeAccount(
  accounts: Accounts,
  name: string,
  settings: Partial<AccountSettings>,
): Promise<{ id: number; revision: number }> {
  const result = await accounts.update(name, {
    settings,
    audit: { actor: 'test', action: 'account.update', describe: () => ({ details: {} }) },
  });
  if (result.kind !== 'updated') throw new Error(`could not change account ${name}: ${result.kind}`);
  return result;
}

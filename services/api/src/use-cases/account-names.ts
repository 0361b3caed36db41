import { rememberBounded } from '#shared/concurrency/bounded-map';
import type { Accounts } from '#shared/storage/mysql/accounts';

/**
 * Account id → name, for the `acct` of a verification's lease. Names never
 * change, so a name read once from MySQL is kept for good (bounded, oldest
 * dropped first): a heartbeat adds one MySQL read per account and process,
 * the first time it signs, and none after. Chosen over a field in the Redis
 * state hash so the pinned scripts and the worker's comparison of that hash
 * with the ledger stay as they are.
 */
export interface AccountNames {
  /** Throws when the account no longer exists (its binding then cannot be valid either). */
  of(accountId: number): Promise<string>;
}

export function createAccountNames(accounts: Pick<Accounts, 'nameOf'>, options: { max: number }): AccountNames {
  const names = new Map<number, string>();
  return {
    async of(accountId) {
      const known = names.get(accountId);
      if (known !== undefined) return known;
      const name = await accounts.nameOf(accountId);
      if (name === null) throw new Error(`account ${accountId} has no row`);
      rememberBounded(names, accountId, name, options.max);
      return name;
    },
  };
}

import { z } from 'zod';
import { ACCOUNT_COLUMNS, toAccountRecord, type AccountRecord } from './accounts';
import { selectRows, type Pool } from './pool';

/**
 * Staff-only reads the API never makes: every account with its seats taken,
 * and seat counts without loading each binding. Account rows are parsed by
 * the accounts repository, so staff see exactly the record the API reads.
 */
const usedColumn = z.object({ used: z.coerce.number().int().nonnegative() });

export interface AccountUsage {
  record: AccountRecord;
  /** Seats taken: the number of machines bound. */
  used: number;
}

export interface AccountDirectory {
  /** Every account with its seats taken, by name, in one statement. */
  listWithUsage(): Promise<AccountUsage[]>;
  countBindings(accountId: number): Promise<number>;
}

export function createAccountDirectory(pool: Pool): AccountDirectory {
  return {
    async listWithUsage() {
      const rows = await selectRows(
        pool,
        `SELECT ${ACCOUNT_COLUMNS}, (SELECT COUNT(*) FROM bindings b WHERE b.account_id = a.id) AS used FROM accounts a ORDER BY a.name`,
      );
      return rows.map((row) => ({ record: toAccountRecord(row), used: usedColumn.parse(row).used }));
    },

    async countBindings(accountId) {
      const [row] = await selectRows(pool, 'SELECT COUNT(*) AS used FROM bindings WHERE account_id = ?', [accountId]);
      return usedColumn.parse(row).used;
    },
  };
}

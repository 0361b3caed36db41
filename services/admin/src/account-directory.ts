import { z } from 'zod';
import { selectRows, type Pool } from '../../../shared/storage/mysql/pool';

/**
 * Staff-only reads the API never makes: every account, and seat counts
 * without loading each binding. Rows are parsed by the accounts repository
 * (findById); this only answers "which ids" and "how many seats".
 */
const usageRow = z.object({
  id: z.coerce.number().int().positive(),
  used: z.coerce.number().int().nonnegative(),
});

export interface AccountDirectory {
  /** Every account id with its seats taken, by name. */
  listUsage(): Promise<Array<z.infer<typeof usageRow>>>;
  countBindings(accountId: number): Promise<number>;
}

export function createAccountDirectory(pool: Pool): AccountDirectory {
  return {
    async listUsage() {
      const rows = await selectRows(
        pool,
        'SELECT a.id, (SELECT COUNT(*) FROM bindings b WHERE b.account_id = a.id) AS used FROM accounts a ORDER BY a.name',
      );
      return rows.map((row) => usageRow.parse(row));
    },

    async countBindings(accountId) {
      const [row] = await selectRows(pool, 'SELECT ? AS id, COUNT(*) AS used FROM bindings WHERE account_id = ?', [accountId, accountId]);
      return usageRow.parse(row).used;
    },
  };
}

import { z } from 'zod';
import type { AccountStatus } from '#shared/domain/account';
import { ACCOUNT_COLUMNS, toAccountRecord, type AccountRecord } from './accounts';
import { decodeCursor, pageOf, type Page } from './cursor';
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

export interface AccountSearch {
  /** Name prefix. */
  query?: string;
  status?: AccountStatus;
  /** Only certificates whose last day (YYYY-MM-DD) is between these two, both included: still valid, and expiring. */
  expiring?: { from: string; to: string };
  limit: number;
  cursor?: string;
}

export interface AccountDirectory {
  /** Newest first, one page, one statement; the indexes of migration 0007 serve each filter. */
  search(search: AccountSearch): Promise<Page<AccountUsage>>;
  /** Every account with its seats taken, by name, in one statement. */
  listWithUsage(): Promise<AccountUsage[]>;
  countBindings(accountId: number): Promise<number>;
}

/**
 * `laggingReads` (MYSQL_REPLICA_URL, shared/storage/mysql/replica.ts) serves
 * the staff lists and searches, which may lag; the seat count a caller shows
 * after a change, or decides with, is read from the primary `pool`.
 */
export function createAccountDirectory(pool: Pool, laggingReads: Pool = pool): AccountDirectory {
  return {
    async search({ query, status, expiring, limit, cursor }) {
      const conditions = ['a.id < ?'];
      const params: Array<string | number> = [decodeCursor(cursor) ?? Number.MAX_SAFE_INTEGER];
      if (query !== undefined && query !== '') {
        conditions.push("a.name LIKE ? ESCAPE '\\\\'");
        params.push(`${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
      }
      if (status !== undefined) {
        conditions.push('a.status = ?');
        params.push(status);
      }
      if (expiring !== undefined) {
        conditions.push('a.expires_at BETWEEN ? AND ?');
        params.push(expiring.from, expiring.to);
      }
      // A name prefix is read along the name index and its matches sorted: walking the primary key
      // newest first until enough names match reads most of the table for a rare prefix.
      const index = query !== undefined && query !== '' ? 'FORCE INDEX (uq_accounts_name)' : '';
      const rows = await selectRows(
        laggingReads,
        `SELECT ${ACCOUNT_COLUMNS}, a.bound_count AS used FROM accounts a ${index}
         WHERE ${conditions.join(' AND ')} ORDER BY a.id DESC LIMIT ?`,
        [...params, limit + 1],
      );
      const usages = rows.map((row) => ({ record: toAccountRecord(row), used: usedColumn.parse(row).used }));
      return pageOf(usages, limit, (usage) => usage.record.certificate.id);
    },

    async listWithUsage() {
      const rows = await selectRows(laggingReads, `SELECT ${ACCOUNT_COLUMNS}, a.bound_count AS used FROM accounts a ORDER BY a.name`);
      return rows.map((row) => ({ record: toAccountRecord(row), used: usedColumn.parse(row).used }));
    },

    async countBindings(accountId) {
      const [row] = await selectRows(pool, 'SELECT bound_count AS used FROM accounts WHERE id = ?', [accountId]);
      // An account that is gone has no bindings left.
      return row ? usedColumn.parse(row).used : 0;
    },
  };
}

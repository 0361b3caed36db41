import { execute, inTransaction, selectRows, type Pool } from './pool';
import { recordEvent } from './webhook-events';

/**
 * `account.expiring`, once a day per account while its certificate expires
 * within the notice period: a row of `webhook_expiry_notices` per account and
 * day, inserted in the event's transaction, makes the daily job idempotent
 * (a re-run, or two workers, announce nothing twice).
 */
export interface ExpiryNotices {
  /** Announces every account expiring between `today` and `lastDay` (inclusive, `YYYY-MM-DD`) not yet announced today; how many were. */
  announce(input: { today: string; lastDay: string }): Promise<number>;
}

export function createExpiryNotices(pool: Pool): ExpiryNotices {
  return {
    async announce({ today, lastDay }) {
      const candidates = await selectRows(
        pool,
        `SELECT a.id FROM accounts a WHERE a.expires_at BETWEEN ? AND ?
         AND NOT EXISTS (SELECT 1 FROM webhook_expiry_notices n WHERE n.account_id = a.id AND n.day = ?)`,
        [today, lastDay, today],
      );
      let announced = 0;
      for (const candidate of candidates) {
        const accountId = Number(candidate.id);
        const isAnnounced = await inTransaction(pool, async (connection) => {
          // The account row first, as every transaction that records events takes it.
          const [account] = await selectRows(connection, 'SELECT name, expires_at, event_sequence FROM accounts WHERE id = ? FOR UPDATE', [
            accountId,
          ]);
          if (!account) return false;
          const noticed = await execute(connection, 'INSERT IGNORE INTO webhook_expiry_notices (account_id, day) VALUES (?, ?)', [
            accountId,
            today,
          ]);
          if (noticed.affectedRows !== 1) return false;
          const name: unknown = account.name;
          await recordEvent(
            connection,
            { accountId, eventSequence: Number(account.event_sequence) },
            {
              type: 'account.expiring',
              data: { account: Buffer.isBuffer(name) ? name.toString('utf8') : String(name), expiresAt: String(account.expires_at) },
            },
          );
          return true;
        });
        if (isAnnounced) announced++;
      }
      return announced;
    },
  };
}

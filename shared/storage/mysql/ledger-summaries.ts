import { createHash } from 'node:crypto';
import { z } from 'zod';
import { lastSeenEverySeconds } from '#shared/domain/silent-release';
import { selectRows, type Pool } from './pool';

/**
 * What the reconciler reads from the ledger (MySQL) about one account: the
 * fields Redis copies (status, expiresAt), the revision that versions them,
 * and its bindings as a count and, when asked, a digest.
 *
 * Every write path of the service bumps `accounts.revision` in the same
 * transaction as the change it makes to the status, the expiry or the set of
 * (machine code, nonce) bindings (last-seen alone does not, and is not
 * compared). So two reads that return the same revision saw the same ledger,
 * which is what lets the reconciler tell a race from a real difference.
 *
 * The digest is the XOR of the first 64 bits of SHA-256(nonce || machineCode)
 * over the account's bindings: order-free, so MySQL computes it in one
 * aggregate (one row crosses the wire instead of one per binding) and the
 * worker computes the same over the Redis copy (`bindingDigest`). The nonce
 * is fixed-length (16 ASCII characters), so the concatenation is unambiguous;
 * both sides hash the machine code's UTF-8 bytes (utf8mb4 in MySQL).
 */
export interface LedgerSummary {
  revision: number;
  status: string;
  expiresAt: string;
  bindingCount: number;
  /** What heartbeats of the account's copy must record last-seen within (lastSeenEverySeconds). */
  lastSeenEverySeconds: number;
  /** Present when asked for with `withDigest`. */
  digest: bigint | null;
}

export interface LedgerSummaries {
  /** One statement, so one consistent read; null when the account row is gone. */
  summarize(accountId: number, options: { withDigest: boolean }): Promise<LedgerSummary | null>;
  /** The account's current revision; null when the row is gone. */
  revisionOf(accountId: number): Promise<number | null>;
}

const DIGEST_SQL = `(SELECT CAST(COALESCE(BIT_XOR(CAST(CONV(LEFT(SHA2(CONCAT(b.nonce, b.machine_code), 256), 16), 16, 10) AS UNSIGNED)), 0) AS CHAR)
     FROM bindings b WHERE b.account_id = a.id)`;

const summaryRow = z.object({
  revision: z.coerce.number().int(),
  status: z.string(),
  expires_at: z.string(),
  binding_count: z.coerce.number().int().nonnegative(),
  release_after_silent_seconds: z.coerce.number().int().nullable(),
  digest: z
    .string()
    .regex(/^\d{1,20}$/)
    .nullable(),
});

const revisionRow = z.object({ revision: z.coerce.number().int() });

export function createLedgerSummaries(pool: Pool): LedgerSummaries {
  return {
    async summarize(accountId, { withDigest }) {
      const [row] = await selectRows(
        pool,
        `SELECT a.revision, a.status, a.expires_at, a.release_after_silent_seconds,
           (SELECT COUNT(*) FROM bindings b WHERE b.account_id = a.id) AS binding_count,
           ${withDigest ? DIGEST_SQL : 'NULL'} AS digest
         FROM accounts a WHERE a.id = ?`,
        [accountId],
      );
      if (!row) return null;
      const r = summaryRow.parse(row);
      return {
        revision: r.revision,
        status: r.status,
        expiresAt: r.expires_at,
        bindingCount: r.binding_count,
        lastSeenEverySeconds: lastSeenEverySeconds(r.release_after_silent_seconds),
        digest: r.digest === null ? null : BigInt(r.digest),
      };
    },

    async revisionOf(accountId) {
      const [row] = await selectRows(pool, 'SELECT revision FROM accounts WHERE id = ?', [accountId]);
      return row ? revisionRow.parse(row).revision : null;
    },
  };
}

/** The digest `summarize` computes in MySQL, computed here over another copy of the bindings. */
export function bindingDigest(bindings: Iterable<readonly [machineCode: string, nonce: string]>): bigint {
  let digest = 0n;
  for (const [machineCode, nonce] of bindings) {
    digest ^= createHash('sha256').update(`${nonce}${machineCode}`, 'utf8').digest().readBigUInt64BE(0);
  }
  return digest;
}

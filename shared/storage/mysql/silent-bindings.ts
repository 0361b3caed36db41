import { silentReleaseDueAt, type Contact } from '#shared/domain/silent-release';
import type { AuditStamp } from './audit';
import { releaseLocked } from './bindings';
import { inTransaction, selectRows, type Pool } from './pool';

/** An account that releases silent bindings (admin contract, `releaseAfterSilentSeconds`). */
export interface SilentReleasingAccount {
  accountId: number;
  releaseAfterSilentSeconds: number;
  /** Unix seconds the setting was set or changed. */
  since: number;
}

/** A binding whose last contact the ledger knows is at least the period old; Redis may know a later one. */
export interface SilentCandidate {
  machineCode: string;
  nonce: string;
  registeredAt: number;
  /** 0 when never seen. */
  lastSeen: number;
}

export interface SilentBindings {
  /** Accounts with the setting, in id order after `afterId`, served by the setting's index. */
  accounts(afterId: number, limit: number): Promise<SilentReleasingAccount[]>;
  /** Bindings of the account silent for the period by the ledger's own last contact, at most `limit`. */
  candidates(account: SilentReleasingAccount, nowSeconds: number, limit: number): Promise<SilentCandidate[]>;
  /**
   * Releases those of `machines` still due under the account's row lock, with
   * the ledger's contact merged with `lastSeenElsewhere` (what Redis
   * recorded), as a staff release does (bindings.ts `releaseLocked`: audit
   * and `binding.released` with reason `silent` in the same transaction).
   */
  release(input: {
    accountId: number;
    machines: ReadonlyArray<{ machineCode: string; nonce: string; lastSeenElsewhere: number }>;
    nowSeconds: number;
    audit: (machineCode: string) => AuditStamp;
  }): Promise<{ released: string[]; revision: number }>;
}

const CONTACT_COLUMNS =
  'machine_code, nonce, UNIX_TIMESTAMP(registered_at) AS registered_at, COALESCE(UNIX_TIMESTAMP(last_seen_at), 0) AS last_seen';

function toCandidate(row: Record<string, unknown>): SilentCandidate {
  return {
    machineCode: String(row.machine_code),
    nonce: String(row.nonce),
    registeredAt: Math.floor(Number(row.registered_at)),
    lastSeen: Math.floor(Number(row.last_seen)),
  };
}

export function createSilentBindings(pool: Pool): SilentBindings {
  return {
    async accounts(afterId, limit) {
      const rows = await selectRows(
        pool,
        `SELECT id, release_after_silent_seconds, UNIX_TIMESTAMP(release_after_silent_since) AS since FROM accounts
          WHERE release_after_silent_seconds IS NOT NULL AND id > ? ORDER BY id LIMIT ?`,
        [afterId, limit],
      );
      return rows.map((row) => ({
        accountId: Number(row.id),
        releaseAfterSilentSeconds: Number(row.release_after_silent_seconds),
        since: Math.floor(Number(row.since)),
      }));
    },

    async candidates(account, nowSeconds, limit) {
      const latestContact = nowSeconds - account.releaseAfterSilentSeconds;
      // Silence counts from the setting's change too: until a period has passed since, nothing is due.
      if (account.since > latestContact) return [];
      const rows = await selectRows(
        pool,
        `SELECT ${CONTACT_COLUMNS} FROM bindings
          WHERE account_id = ? AND GREATEST(registered_at, COALESCE(last_seen_at, registered_at)) <= FROM_UNIXTIME(?) LIMIT ?`,
        [account.accountId, latestContact, limit],
      );
      return rows.map(toCandidate);
    },

    release({ accountId, machines, nowSeconds, audit }) {
      return inTransaction(pool, async (connection) => {
        // The account row first, in the same lock order as registrations and unbindings.
        const [account] = await selectRows(
          connection,
          `SELECT name, revision, event_sequence, release_after_silent_seconds, UNIX_TIMESTAMP(release_after_silent_since) AS since
             FROM accounts WHERE id = ? FOR UPDATE`,
          [accountId],
        );
        if (!account || account.release_after_silent_seconds === null || machines.length === 0) {
          return { released: [], revision: Number(account?.revision ?? 0) };
        }
        const period = Number(account.release_after_silent_seconds);
        const since = Math.floor(Number(account.since));
        const rows = await selectRows(
          connection,
          `SELECT ${CONTACT_COLUMNS} FROM bindings WHERE account_id = ? AND machine_code IN (?) FOR UPDATE`,
          [accountId, machines.map((machine) => machine.machineCode)],
        );
        const wanted = new Map(machines.map((machine) => [machine.machineCode, machine]));
        const due = rows.map(toCandidate).filter((row) => {
          const asked = wanted.get(row.machineCode);
          if (asked?.nonce !== row.nonce) return false;
          const contact: Contact = {
            registeredAt: row.registeredAt,
            lastSeen: Math.max(row.lastSeen, asked.lastSeenElsewhere),
            settingSince: since,
          };
          return silentReleaseDueAt(contact, period) <= nowSeconds;
        });
        if (due.length === 0) return { released: [], revision: Number(account.revision) };
        const released = due.map((row) => row.machineCode);
        const revision = await releaseLocked(
          connection,
          { accountId, name: String(account.name), revision: Number(account.revision), eventSequence: Number(account.event_sequence) },
          released,
          { reason: 'silent', audit },
        );
        return { released, revision };
      });
    },
  };
}

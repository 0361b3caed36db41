import { z } from 'zod';
import { execute, selectRows, type Pool, type PoolConnection } from './pool';

/**
 * The staff audit trail (migration 0004): who changed what, newest first.
 * Details are stored as JSON text; callers never put a password, hash, nonce
 * or token in them.
 */
export interface AuditInput {
  actor: string;
  action: string;
  accountId: number | null;
  details: Record<string, unknown>;
  /** The changed fields as they were and became; null for a password reset. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  sourceAddress?: string | null;
  requestId?: string | null;
}

/** Who made a staff change and what the audit log says of it, for a storage call that writes it in the change's transaction. */
export type AuditStamp = Omit<AuditInput, 'accountId'>;

const auditRow = z.object({
  id: z.coerce.number().int().positive(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  account_id: z.coerce.number().int().positive().nullable(),
  account_name: z.string().nullable(),
  details: z.string(),
});

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  accountId: number | null;
  /** Null for entries whose account row is gone (accounts are never deleted today). */
  account: string | null;
  details: unknown;
}

/** A details text that is not JSON is shown as written rather than hiding the entry. */
function parseDetails(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface AuditLog {
  record(entry: AuditInput): Promise<void>;
  /** Newest first; only one account's entries when `accountId` is given. */
  list(options: { accountId?: number; limit: number }): Promise<AuditEntry[]>;
}

/** The one insert into the audit log; storage modules call it inside the transaction of the change it records. */
export async function insertAuditEntry(db: Pool | PoolConnection, entry: AuditInput): Promise<void> {
  const json = (value: Record<string, unknown> | null | undefined) => (value === undefined || value === null ? null : JSON.stringify(value));
  await execute(
    db,
    'INSERT INTO audit_log (actor, action, account_id, details, before_json, after_json, source_address, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [entry.actor, entry.action, entry.accountId, JSON.stringify(entry.details), json(entry.before), json(entry.after), entry.sourceAddress ?? null, entry.requestId ?? null],
  );
}

export function createAuditLog(pool: Pool): AuditLog {
  return {
    record: (entry) => insertAuditEntry(pool, entry),

    async list({ accountId, limit }) {
      const where = accountId === undefined ? '' : 'WHERE l.account_id = ?';
      const rows = await selectRows(
        pool,
        `SELECT l.id, l.at, l.actor, l.action, l.account_id, a.name AS account_name, l.details
         FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id ${where}
         ORDER BY l.id DESC LIMIT ?`,
        accountId === undefined ? [limit] : [accountId, limit],
      );
      return rows.map((row) => {
        const r = auditRow.parse(row);
        return { id: r.id, at: r.at, actor: r.actor, action: r.action, accountId: r.account_id, account: r.account_name, details: parseDetails(r.details) };
      });
    },
  };
}

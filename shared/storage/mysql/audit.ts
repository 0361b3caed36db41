import { z } from 'zod';
import { decodeCursor, pageOf, type Page } from './cursor';
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
  before_json: z.string().nullable(),
  after_json: z.string().nullable(),
  source_address: z.string().nullable(),
  request_id: z.string().nullable(),
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
  before: unknown;
  after: unknown;
  sourceAddress: string | null;
  requestId: string | null;
}

export interface AuditQuery {
  accountId?: number;
  actor?: string;
  action?: string;
  /** Inclusive, `YYYY-MM-DD HH:MM:SS.mmm` UTC. */
  since?: string;
  /** Exclusive. */
  until?: string;
  limit: number;
  cursor?: string;
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
  /** Newest first, filtered, one page. */
  search(query: AuditQuery): Promise<Page<AuditEntry>>;
}

/** The one insert into the audit log; storage modules call it inside the transaction of the change it records. */
export async function insertAuditEntry(db: Pool | PoolConnection, entry: AuditInput): Promise<void> {
  const json = (value: Record<string, unknown> | null | undefined) =>
    value === undefined || value === null ? null : JSON.stringify(value);
  await execute(
    db,
    'INSERT INTO audit_log (actor, action, account_id, details, before_json, after_json, source_address, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [
      entry.actor,
      entry.action,
      entry.accountId,
      JSON.stringify(entry.details),
      json(entry.before),
      json(entry.after),
      entry.sourceAddress ?? null,
      entry.requestId ?? null,
    ],
  );
}

/** Entries are written to `pool`; the staff's reads of them, which may lag, go to `laggingReads` (MYSQL_REPLICA_URL). */
export function createAuditLog(pool: Pool, laggingReads: Pool = pool): AuditLog {
  return {
    record: (entry) => insertAuditEntry(pool, entry),

    async list({ accountId, limit }) {
      return (await search({ ...(accountId === undefined ? {} : { accountId }), limit })).items;
    },
    search,
  };

  async function search(query: AuditQuery): Promise<Page<AuditEntry>> {
    const conditions: string[] = ['l.id < ?'];
    const params: Array<string | number> = [decodeCursor(query.cursor) ?? Number.MAX_SAFE_INTEGER];
    const filter = (condition: string, value: string | number | undefined) => {
      if (value === undefined) return;
      conditions.push(condition);
      params.push(value);
    };
    filter('l.account_id = ?', query.accountId);
    filter('l.actor = ?', query.actor);
    filter('l.action = ?', query.action);
    filter('l.at >= ?', query.since);
    filter('l.at < ?', query.until);
    const rows = await selectRows(
      laggingReads,
      `SELECT l.id, l.at, l.actor, l.action, l.account_id, a.name AS account_name, l.details, l.before_json, l.after_json, l.source_address, l.request_id
       FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id WHERE ${conditions.join(' AND ')}
       ORDER BY l.id DESC LIMIT ?`,
      [...params, query.limit + 1],
    );
    const entries = rows.map((row): AuditEntry => {
      const r = auditRow.parse(row);
      return {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        accountId: r.account_id,
        account: r.account_name,
        details: parseDetails(r.details),
        before: r.before_json === null ? null : parseDetails(r.before_json),
        after: r.after_json === null ? null : parseDetails(r.after_json),
        sourceAddress: r.source_address,
        requestId: r.request_id,
      };
    });
    return pageOf(entries, query.limit, (entry) => entry.id);
  }
}

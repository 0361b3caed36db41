import { z } from 'zod';
import type { AccountSnapshot } from '#shared/domain/account-snapshot';
import { checkSeats, seatsUsedAfter } from '#shared/domain/seats';
import { lastSeenEverySeconds } from '#shared/domain/silent-release';
import { checkUnbindQuota, secondsUntilLeaves, UNBIND_WINDOW_SECONDS } from '#shared/domain/unbind-quota';
import type { ReleaseReason } from '#shared/domain/webhooks';
import { insertAuditEntry, type AuditStamp } from './audit';
import { decodeCursor, pageOf, type Page } from './cursor';
import {
  execute,
  executeAndCommit,
  inSnapshot,
  inTransaction,
  isDuplicateKey,
  selectRows,
  type Pool,
  type PoolConnection,
  type RowDataPacket,
} from './pool';
import { checkNumbered, eventStatements, recordEvents } from './webhook-events';

/** One node's binding as the ledger keeps it. */
export interface BindingInput {
  machineCode: string;
  nonce: string;
  nodeId: string;
  ip: string;
  domain: string | null;
  appName: string;
  mac: string | null;
  appVersion: string;
}

/** What the ledger decided alone, for when Redis keeps disagreeing with it (contention). */
export type LedgerDecision =
  | { kind: 'committed'; used: number; nonces: string[]; revision: number }
  /** Only counted: `used` is what committing would have answered. */
  | { kind: 'fits'; used: number }
  | { kind: 'over'; overflowIndices: number[] };

export type LedgerWrite =
  | { kind: 'committed'; used: number }
  /** The ledger disagrees with what Redis decided (stale Redis, or staff changed seats): nothing written. */
  | { kind: 'disagrees' };

export type LedgerUnbind =
  | { kind: 'unbound'; bound: string[]; revision: number }
  /** The bound machines would take the account past its unbinding quota: nothing unbound. */
  | { kind: 'over-quota'; retryAfterSeconds: number };

const bindingRow = z.object({
  machine_code: z.string(),
  node_id: z.string(),
  ip: z.string(),
  domain: z.string().nullable(),
  app_name: z.string(),
  mac: z.string().nullable(),
  app_version: z.string(),
  bound_at: z.string(),
  registered_at: z.string(),
  last_seen_at: z.string().nullable(),
});
export type BindingView = z.infer<typeof bindingRow>;

export interface Bindings {
  /**
   * Persists one registration in one transaction under the account's row
   * lock, re-checking the seats against the ledger itself: Redis only ever
   * proposes; this decides. `newIndices` is what Redis considered new.
   */
  persistRegistration(accountId: number, nodes: readonly BindingInput[], newIndices: readonly number[]): Promise<LedgerWrite>;
  /**
   * Decides one registration in the ledger alone, under the account's row
   * lock: the seat rule against what MySQL holds, machines already bound keep
   * their nonce, new ones take the proposed one. Writes only when `commit`
   * and every new machine fits. The caller then drops the account from Redis.
   */
  decideRegistration(accountId: number, nodes: readonly BindingInput[], commit: boolean): Promise<LedgerDecision>;
  /**
   * A node's unbinding: deletes the bound ones among `machineCodes` in one
   * transaction and records them against the unbinding quota, counted under
   * the account's row lock so that concurrent unbindings cannot overshoot it;
   * over the quota, nothing is deleted. `beforeCommit` runs after the delete
   * and before the commit (the Redis side), and a throw from it rolls
   * everything back. `nowMs` (Unix milliseconds) times the quota's window.
   */
  unbind(
    input: { accountId: number; machineCodes: readonly string[]; nowMs: number },
    beforeCommit: (bound: string[]) => Promise<void>,
  ): Promise<LedgerUnbind>;
  /**
   * Staff releasing seats: those of `machineCodes` that are bound go, with
   * one audit entry and one `binding.released` each, the account's revision
   * bumped (so the caller can fence Redis with it), in one transaction.
   * `released` is empty (nothing written) when none of them is bound.
   */
  release(
    accountId: number,
    machineCodes: readonly string[],
    audit: (machineCode: string) => AuditStamp,
  ): Promise<{ released: string[]; revision: number }>;
  /**
   * A registration that failed after its credentials passed wrote nothing:
   * its `registration.failed` (and, refused for seats, `account.seats_exhausted`)
   * events get a transaction of their own.
   */
  recordRegistrationFailure(accountId: number, failure: RegistrationFailure): Promise<void>;
  /** The account's state and bindings as of one instant, for refilling Redis. */
  snapshot(accountId: number): Promise<AccountSnapshot | null>;
  /** The binding's nonce with its account's certificate state, straight from the ledger. */
  /** Which of these machines the ledger holds under exactly these nonces (reading back a commit whose answer was lost). */
  countBoundWith(accountId: number, nodes: ReadonlyArray<{ machineCode: string; nonce: string }>): Promise<number>;
  findBoundState(accountId: number, machineCode: string): Promise<{ nonce: string; status: string; expiresAt: string } | null>;
  list(accountId: number): Promise<BindingView[]>;
  /** One page of an account's bindings, newest first. */
  listPage(accountId: number, page: { limit: number; cursor?: string }): Promise<Page<BindingView>>;
  recordLastSeen(entries: ReadonlyArray<{ accountId: number; machineCode: string; seenAtSeconds: number }>): Promise<void>;
}

/** What a registration answered when it failed after its credentials passed (the contract's `registration.failed`). */
export interface RegistrationFailure {
  overall: string[];
  nodes: Array<{ nodeId: string | null; machineCode: string | null; causes: string[] }>;
  /** It was refused for seats: `account.seats_exhausted` goes with it. */
  isSeatRefusal: boolean;
}

/**
 * An account's row under its lock, with the number of its bindings
 * (`bound_count`, which migration 0013's triggers keep in step with the rows
 * in the same transactions): a locking read sees the latest commit, so the
 * count includes every binding of whoever held the lock before.
 */
const LOCK_ACCOUNT = `SELECT name, max_registrations, max_unbinds_per_day, revision, event_sequence, bound_count
  FROM accounts WHERE id = ? FOR UPDATE`;

function lockedAccount(row: RowDataPacket) {
  return {
    name: Buffer.isBuffer(row.name) ? row.name.toString('utf8') : String(row.name),
    maxRegistrations: Number(row.max_registrations),
    maxUnbindsPerDay: row.max_unbinds_per_day === null ? null : Number(row.max_unbinds_per_day),
    revision: Number(row.revision),
    eventSequence: Number(row.event_sequence),
    boundCount: Number(row.bound_count),
  };
}

/** Takes the account's row lock, which every change of its bindings takes first; a seat decision starts from what it reads. */
async function lockAccount(connection: PoolConnection, accountId: number) {
  const [row] = await selectRows(connection, LOCK_ACCOUNT, [accountId]);
  return row ? lockedAccount(row) : null;
}

/**
 * The quota against the ledger, under the account's row lock the caller
 * holds: prunes the events that left the window, then counts the rest. The
 * reads lock (FOR UPDATE) so that they see the latest commit, not the
 * transaction's snapshot.
 */
async function checkQuotaInLedger(
  connection: PoolConnection,
  input: { accountId: number; limit: number | null; requested: number; nowMs: number },
): Promise<{ kind: 'fits' } | { kind: 'over-quota'; retryAfterSeconds: number }> {
  const { accountId, limit, requested, nowMs } = input;
  await execute(connection, 'DELETE FROM unbind_events WHERE account_id = ? AND unbound_at <= FROM_UNIXTIME(?)', [
    accountId,
    nowMs / 1000 - UNBIND_WINDOW_SECONDS,
  ]);
  if (limit === null) return { kind: 'fits' };
  const [count] = await selectRows(connection, 'SELECT COUNT(*) AS n FROM unbind_events WHERE account_id = ? FOR UPDATE', [accountId]);
  const check = checkUnbindQuota({ limit, countedInWindow: Number(count?.n), requested });
  if (check.kind === 'fits') return check;
  if (check.kind === 'never') return { kind: 'over-quota', retryAfterSeconds: secondsUntilLeaves(null, nowMs) };
  // The request fits once the mustLeave-th oldest event has left the window.
  const [leaving] = await selectRows(
    connection,
    'SELECT UNIX_TIMESTAMP(unbound_at) AS at FROM unbind_events WHERE account_id = ? ORDER BY unbound_at LIMIT 1 OFFSET ? FOR UPDATE',
    [accountId, check.mustLeave - 1],
  );
  const leavingAtMs = leaving ? Math.round(Number(leaving.at) * 1000) : null;
  return { kind: 'over-quota', retryAfterSeconds: secondsUntilLeaves(leavingAtMs, nowMs) };
}

async function boundNonces(connection: PoolConnection, accountId: number, machineCodes: readonly string[]) {
  const rows = await selectRows(
    connection,
    'SELECT machine_code, nonce FROM bindings WHERE account_id = ? AND machine_code IN (?) FOR UPDATE',
    [accountId, [...machineCodes]],
  );
  return new Map(rows.map((row) => [String(row.machine_code), String(row.nonce)]));
}

/** The seat rule against the ledger, for an account locked with lockAccount. */
function seatsInLedger(
  account: { boundCount: number; maxRegistrations: number },
  machineCodes: readonly string[],
  existing: ReadonlyMap<string, string>,
) {
  const { boundCount, maxRegistrations } = account;
  return { boundCount, seats: checkSeats({ machineCodes, isBound: (code) => existing.has(code), boundCount, maxRegistrations }) };
}

/**
 * A registration's writes, committed in one round trip with the events of
 * the change: each newly bound machine, and the last seat taken
 * (re-registrations of bound machines announce nothing). New machines move
 * the account's revision with them. Answers false when a duplicate key
 * refused the bindings (someone bound one of these machines first).
 */
async function commitRegistration(
  connection: PoolConnection,
  account: { id: number; name: string; maxRegistrations: number; eventSequence: number },
  write: { sql: string; rows: readonly BindingInput[]; created: readonly BindingInput[]; used: number },
): Promise<boolean> {
  const { created, used } = write;
  const events = created.map((node) => ({
    type: 'binding.created' as const,
    data: { account: account.name, machineCode: node.machineCode, nodeId: node.nodeId },
  }));
  const exhausted =
    created.length > 0 && used >= account.maxRegistrations
      ? [{ type: 'account.seats_exhausted' as const, data: { account: account.name, used, maxRegistrations: account.maxRegistrations } }]
      : [];
  const announced = [...events, ...exhausted];
  const locked = { accountId: account.id, eventSequence: account.eventSequence };
  try {
    const [, numbered] = await executeAndCommit(connection, [
      { sql: write.sql, params: [write.rows.map(bindingValues(account.id))] },
      ...(announced.length > 0 ? eventStatements(locked, announced, { movesRevision: true }) : []),
    ]);
    if (announced.length > 0) checkNumbered(numbered, locked);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

const released = (account: string, machineCode: string, reason: ReleaseReason) => ({
  type: 'binding.released' as const,
  data: { account, machineCode, reason },
});

/**
 * What every release by someone other than the node does (staff, or the
 * silent-seat release), inside a transaction that holds the account's row
 * lock and has checked the machines are bound: the bindings go, the
 * revision moves, and each machine gets its audit entry and its
 * `binding.released`. Answers the new revision, to fence Redis with.
 */
export async function releaseLocked(
  connection: PoolConnection,
  account: { accountId: number; name: string; revision: number; eventSequence: number },
  machineCodes: readonly string[],
  how: { reason: Exclude<ReleaseReason, 'unbound'>; audit: (machineCode: string) => AuditStamp },
): Promise<number> {
  const { accountId } = account;
  await execute(connection, 'DELETE FROM bindings WHERE account_id = ? AND machine_code IN (?)', [accountId, [...machineCodes]]);
  for (const machineCode of machineCodes) await insertAuditEntry(connection, { ...how.audit(machineCode), accountId });
  await recordEvents(
    connection,
    { accountId, eventSequence: account.eventSequence },
    machineCodes.map((machineCode) => released(account.name, machineCode, how.reason)),
    { movesRevision: true },
  );
  return account.revision + 1;
}

const bindingValues = (accountId: number) => (n: BindingInput) => [
  accountId,
  n.machineCode,
  n.nonce,
  n.nodeId,
  n.ip,
  n.domain,
  n.appName,
  n.mac,
  n.appVersion,
];

const INSERT_BINDINGS = 'INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, domain, app_name, mac, app_version) VALUES ?';
/** Re-registration refreshes what the node reported; the nonce, and with it the token, stays. */
const UPSERT_BINDINGS = `${INSERT_BINDINGS}
  ON DUPLICATE KEY UPDATE node_id = VALUES(node_id), ip = VALUES(ip), domain = VALUES(domain), app_name = VALUES(app_name),
    mac = VALUES(mac), app_version = VALUES(app_version), registered_at = CURRENT_TIMESTAMP(3)`;
const LAST_SEEN_CHUNK = 500;
const SNAPSHOT_BINDINGS =
  'SELECT machine_code, nonce, COALESCE(UNIX_TIMESTAMP(last_seen_at), 0) AS last_seen FROM bindings WHERE account_id = ?';

export function createBindings(pool: Pool): Bindings {
  return {
    persistRegistration(accountId, nodes, newIndices) {
      return inTransaction(pool, async (connection): Promise<LedgerWrite> => {
        const account = await lockAccount(connection, accountId);
        if (!account) return { kind: 'disagrees' };
        const codes = nodes.map((node) => node.machineCode);
        // When Redis saw every machine as new, the INSERT itself checks that claim (a duplicate
        // key refuses it), which spares the common first registration one round trip.
        const isAllNew = newIndices.length === nodes.length;
        const existing = isAllNew ? new Map<string, string>() : await boundNonces(connection, accountId, codes);
        const { boundCount, seats } = seatsInLedger(account, codes, existing);
        const agrees =
          seats.overflowIndices.length === 0 &&
          seats.newIndices.length === newIndices.length &&
          seats.newIndices.every((index, i) => index === newIndices[i]) &&
          nodes.every((node) => (existing.get(node.machineCode) ?? node.nonce) === node.nonce);
        if (!agrees) return { kind: 'disagrees' };
        const used = seatsUsedAfter(boundCount, seats);
        const created = seats.newIndices.map((index) => nodes[index] as BindingInput);
        const sql = isAllNew ? INSERT_BINDINGS : UPSERT_BINDINGS;
        const isCommitted = await commitRegistration(connection, { id: accountId, ...account }, { sql, rows: nodes, created, used });
        return isCommitted ? { kind: 'committed', used } : { kind: 'disagrees' };
      });
    },

    decideRegistration(accountId, nodes, commit) {
      return inTransaction(pool, async (connection): Promise<LedgerDecision> => {
        const account = await lockAccount(connection, accountId);
        if (!account) throw new Error(`account ${accountId} is not in the ledger`);
        const codes = nodes.map((node) => node.machineCode);
        const existing = await boundNonces(connection, accountId, codes);
        const { boundCount, seats } = seatsInLedger(account, codes, existing);
        if (seats.overflowIndices.length > 0) return { kind: 'over', overflowIndices: seats.overflowIndices };
        if (!commit) return { kind: 'fits', used: seatsUsedAfter(boundCount, seats) };
        const rows = nodes.map((node) => ({ ...node, nonce: existing.get(node.machineCode) ?? node.nonce }));
        const hasNew = seats.newIndices.length > 0;
        const used = seatsUsedAfter(boundCount, seats);
        const created = seats.newIndices.map((index) => rows[index] as BindingInput);
        // Under the row lock with every existing binding read, no duplicate key can refuse the upsert.
        if (!(await commitRegistration(connection, { id: accountId, ...account }, { sql: UPSERT_BINDINGS, rows, created, used }))) {
          throw new Error(`account ${accountId}: the upsert of bindings read under the row lock was refused`);
        }
        return {
          kind: 'committed',
          used,
          nonces: rows.map((row) => row.nonce),
          revision: account.revision + (hasNew ? 1 : 0),
        };
      });
    },

    unbind({ accountId, machineCodes, nowMs }, beforeCommit) {
      return inTransaction(pool, async (connection): Promise<LedgerUnbind> => {
        const account = await lockAccount(connection, accountId);
        if (!account) return { kind: 'unbound', bound: [], revision: 0 };
        const existing = await boundNonces(connection, accountId, machineCodes);
        const bound = machineCodes.filter((code) => existing.has(code));
        if (bound.length === 0) return { kind: 'unbound', bound, revision: account.revision };
        const quota = await checkQuotaInLedger(connection, {
          accountId,
          limit: account.maxUnbindsPerDay,
          requested: bound.length,
          nowMs,
        });
        if (quota.kind === 'over-quota') return quota;
        await execute(connection, 'DELETE FROM bindings WHERE account_id = ? AND machine_code IN (?)', [accountId, bound]);
        await execute(
          connection,
          `INSERT INTO unbind_events (account_id, unbound_at) VALUES ${bound.map(() => '(?, FROM_UNIXTIME(?))').join(', ')}`,
          bound.flatMap(() => [accountId, nowMs / 1000]),
        );
        await recordEvents(
          connection,
          { accountId, eventSequence: account.eventSequence },
          bound.map((code) => released(account.name, code, 'unbound')),
          { movesRevision: true },
        );
        await beforeCommit(bound);
        return { kind: 'unbound', bound, revision: account.revision + 1 };
      });
    },

    release(accountId, machineCodes, audit) {
      return inTransaction(pool, async (connection) => {
        // The account row first, in the same lock order as registrations and unbindings.
        const account = await lockAccount(connection, accountId);
        if (!account) return { released: [], revision: 0 };
        const bound = await boundNonces(connection, accountId, machineCodes);
        const releasing = machineCodes.filter((code) => bound.has(code));
        if (releasing.length === 0) return { released: [], revision: account.revision };
        const revision = await releaseLocked(connection, { accountId, ...account }, releasing, {
          reason: 'released',
          audit,
        });
        return { released: releasing, revision };
      });
    },

    recordRegistrationFailure(accountId, failure) {
      return inTransaction(pool, async (connection) => {
        const account = await lockAccount(connection, accountId);
        if (!account) return;
        const failed = {
          type: 'registration.failed' as const,
          data: { account: account.name, overall: failure.overall, nodes: failure.nodes },
        };
        const exhausted = failure.isSeatRefusal
          ? [
              {
                type: 'account.seats_exhausted' as const,
                data: { account: account.name, used: account.boundCount, maxRegistrations: account.maxRegistrations },
              },
            ]
          : [];
        await recordEvents(connection, { accountId, eventSequence: account.eventSequence }, [failed, ...exhausted]);
      });
    },

    snapshot(accountId) {
      // One consistent snapshot, so the revision describes exactly these bindings.
      return inSnapshot(pool, async (connection) => {
        const [account] = await selectRows(
          connection,
          'SELECT revision, status, expires_at, release_after_silent_seconds FROM accounts WHERE id = ?',
          [accountId],
        );
        if (!account) return null;
        const rows = await selectRows(connection, SNAPSHOT_BINDINGS, [accountId]);
        return {
          revision: Number(account.revision),
          status: String(account.status),
          expiresAt: String(account.expires_at),
          lastSeenEverySeconds: lastSeenEverySeconds(
            account.release_after_silent_seconds === null ? null : Number(account.release_after_silent_seconds),
          ),
          bindings: rows.map((row) => ({
            machineCode: String(row.machine_code),
            nonce: String(row.nonce),
            lastSeen: Math.floor(Number(row.last_seen)),
          })),
        };
      });
    },

    async countBoundWith(accountId, nodes) {
      const rows = await selectRows(pool, 'SELECT machine_code, nonce FROM bindings WHERE account_id = ? AND machine_code IN (?)', [
        accountId,
        nodes.map((node) => node.machineCode),
      ]);
      const held = new Map(rows.map((row) => [String(row.machine_code), String(row.nonce)]));
      return nodes.filter((node) => held.get(node.machineCode) === node.nonce).length;
    },

    async findBoundState(accountId, machineCode) {
      const [row] = await selectRows(
        pool,
        `SELECT b.nonce, a.status, a.expires_at FROM bindings b JOIN accounts a ON a.id = b.account_id
         WHERE b.account_id = ? AND b.machine_code = ?`,
        [accountId, machineCode],
      );
      return row ? { nonce: String(row.nonce), status: String(row.status), expiresAt: String(row.expires_at) } : null;
    },

    async listPage(accountId, { limit, cursor }) {
      const rows = await selectRows(
        pool,
        `SELECT id, machine_code, node_id, ip, domain, app_name, mac, app_version, bound_at, registered_at, last_seen_at
         FROM bindings WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
        [accountId, decodeCursor(cursor) ?? Number.MAX_SAFE_INTEGER, limit + 1],
      );
      const page = pageOf(rows, limit, (row) => Number(row.id));
      return { items: page.items.map((row) => bindingRow.parse(row)), nextCursor: page.nextCursor };
    },

    async list(accountId) {
      const rows = await selectRows(
        pool,
        `SELECT machine_code, node_id, ip, domain, app_name, mac, app_version, bound_at, registered_at, last_seen_at
         FROM bindings WHERE account_id = ? ORDER BY bound_at, id`,
        [accountId],
      );
      return rows.map((row) => bindingRow.parse(row));
    },

    async recordLastSeen(entries) {
      for (let start = 0; start < entries.length; start += LAST_SEEN_CHUNK) {
        const chunk = entries.slice(start, start + LAST_SEEN_CHUNK);
        const rows = chunk.map(() => 'SELECT ? AS account_id, ? AS machine_code, ? AS seen').join(' UNION ALL ');
        await execute(
          pool,
          `UPDATE bindings b JOIN (${rows}) v ON b.account_id = v.account_id AND b.machine_code = v.machine_code
           SET b.last_seen_at = GREATEST(COALESCE(b.last_seen_at, FROM_UNIXTIME(0)), FROM_UNIXTIME(v.seen))`,
          chunk.flatMap((entry) => [entry.accountId, entry.machineCode, entry.seenAtSeconds]),
        );
      }
    },
  };
}

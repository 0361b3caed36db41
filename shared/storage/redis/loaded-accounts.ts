import { z } from 'zod';
import { StoreFailure, describeReply, guardStore } from '../errors';
import { decodeBindingRecord, type BindingRecord } from './binding-record';
import { mastersOf, type RedisClient } from './client';
import { accountIdOfStateKey, accountKeys, loadedStatePattern, walkStateKey } from './keys';

/**
 * The reconciler's reads of Redis: which accounts are loaded (a SCAN over
 * their state keys), one account's copy as an atomic read (MULTI over keys
 * that share the account's hash tag), and where the walk stopped last run.
 * Nothing here writes an account's keys: invalidation goes through the
 * binding store, like every other change of an account in Redis.
 *
 * Key strings come from shared/storage/redis/keys.ts; the SCAN pattern and
 * the way back from a state key to its account are checked against it
 * (`accountIdOfStateKey` accepts a key only if `accountKeys` builds exactly
 * that key). SCAN walks one server, so on Redis Cluster the walk goes
 * through each master in turn (`mastersOf`): the cursor then says which
 * master and where on it (`<master>-<cursor>`; '0' still means the start or
 * the end of a pass). A slot that moves to a master the walk has already
 * passed is picked up by the next pass.
 */
export interface RedisCopy {
  status: string;
  expiresAt: string;
  revision: number | null;
  /** The copy's `lastSeenEvery` (seconds; 0: the service's own interval), as heartbeats read it. */
  lastSeenEvery: number;
  /** HLEN of the bindings hash, in the same atomic read as everything else here. */
  bindingCount: number;
  /** machineCode -> nonce; null unless read `withBindings`. */
  bindings: ReadonlyMap<string, string> | null;
  /** machineCode -> reservation of a registration in flight (or a dead one, until it ages out). */
  pending: ReadonlyMap<string, { nonce: string; sinceSeconds: number }>;
}

/** Where the walk over the keyspace stands between runs. */
export interface WalkState {
  /** SCAN cursor (`<master>-<cursor>` on a cluster); '0' with an empty backlog means the next run starts a new pass. */
  cursor: string;
  /** Accounts a SCAN returned that a run had no budget left to check, oldest first. */
  backlog: number[];
}

export interface LoadedAccounts {
  scan(cursor: string, count: number): Promise<{ cursor: string; accountIds: number[] }>;
  /** Null when the account is not loaded (no state hash). */
  read(accountId: number, options: { withBindings: boolean }): Promise<RedisCopy | null>;
  readWalk(): Promise<WalkState>;
  saveWalk(state: WalkState): Promise<void>;
  /**
   * The binding records Redis holds for these machines (nonce and last-seen
   * as heartbeats recorded it, possibly later than MySQL's), for the
   * silent-seat release; machines Redis does not hold are left out.
   */
  bindingRecords(accountId: number, machineCodes: readonly string[]): Promise<Map<string, BindingRecord>>;
}

/** A walk state older than this is stale (the worker was stopped): start a new pass. */
const WALK_STATE_TTL_SECONDS = 86_400;

const walkState = z.object({
  cursor: z.string().regex(/^(?:\d{1,4}-)?\d{1,20}$/),
  backlog: z.array(z.number().int().positive()).max(1_000_000),
});

function unexpected(what: string, reply: unknown): never {
  throw new StoreFailure('redis', `unexpected reply to ${what}: ${describeReply(reply)}`);
}

const stringOrNull = z.string().nullable();
const hashReply = z.record(z.string(), z.string());

/** No nonce in the ledger is empty: a binding whose record cannot be read differs from it, and the account is reloaded. */
const UNREADABLE_NONCE = '';

function reservationsOf(records: Record<string, string>): RedisCopy['pending'] {
  const reservations = new Map<string, { nonce: string; sinceSeconds: number }>();
  for (const [machineCode, text] of Object.entries(records)) {
    const record = decodeBindingRecord(text);
    // An unreadable reservation holds no seat, like one past its TTL: it is left out.
    if (record) reservations.set(machineCode, { nonce: record.nonce, sinceSeconds: record.seconds });
  }
  return reservations;
}

/** Which master (by its place in `mastersOf`) and where on it a walk stands. */
function parseCursor(cursor: string): { master: number; cursor: string } {
  const [master, onMaster] = cursor.includes('-') ? cursor.split('-') : ['0', cursor];
  return { master: Number(master), cursor: onMaster ?? '0' };
}

export function createLoadedAccounts(redis: RedisClient, prefix: string): LoadedAccounts {
  const walkKey = walkStateKey(prefix);
  const pattern = loadedStatePattern(prefix);

  return {
    async scan(cursor, count) {
      const masters = mastersOf(redis);
      const at = parseCursor(cursor);
      // The cluster lost a master since the walk stopped: start the pass over rather than skip a share of it.
      const node = masters[at.master];
      if (node === undefined) return { cursor: '0', accountIds: [] };
      const [next, keys] = await guardStore('redis', () => node.scan(at.cursor, 'MATCH', pattern, 'COUNT', count));
      const accountIds = keys.map((key) => accountIdOfStateKey(prefix, key)).filter((id): id is number => id !== null);
      if (masters.length === 1) return { cursor: next, accountIds };
      if (next !== '0') return { cursor: `${at.master}-${next}`, accountIds };
      return { cursor: at.master + 1 < masters.length ? `${at.master + 1}-0` : '0', accountIds };
    },

    async read(accountId, { withBindings }) {
      const keys = accountKeys(prefix, accountId);
      const transaction = redis
        .multi()
        .hmget(keys.state, 'status', 'expiresAt', 'revision', 'lastSeenEvery')
        .hlen(keys.bindings)
        .hgetall(keys.pending);
      if (withBindings) transaction.hgetall(keys.bindings);
      const replies = await guardStore('redis', () => transaction.exec());
      if (!replies) return unexpected('MULTI', replies);
      const results = replies.map(([error, result]) => {
        if (error) throw new StoreFailure('redis', error.message, { cause: error });
        return result;
      });
      const [stateReply, lengthReply, pendingReply, bindingsReply] = results;

      const state = z.tuple([stringOrNull, stringOrNull, stringOrNull, stringOrNull]).safeParse(stateReply);
      if (!state.success) return unexpected('HMGET state', stateReply);
      const [status, expiresAt, revision, lastSeenEvery] = state.data;
      // Only the state hash marks an account loaded; a field missing from it is a difference, not an absence.
      if (status === null && expiresAt === null && revision === null) return null;

      if (typeof lengthReply !== 'number') return unexpected('HLEN bindings', lengthReply);
      const pending = hashReply.safeParse(pendingReply);
      if (!pending.success) return unexpected('HGETALL pending', pendingReply);
      let bindings: Map<string, string> | null = null;
      if (withBindings) {
        const parsed = hashReply.safeParse(bindingsReply);
        if (!parsed.success) return unexpected('HGETALL bindings', bindingsReply);
        bindings = new Map(
          Object.entries(parsed.data).map(([machineCode, text]) => [machineCode, decodeBindingRecord(text)?.nonce ?? UNREADABLE_NONCE]),
        );
      }
      return {
        status: status ?? '',
        expiresAt: expiresAt ?? '',
        revision: revision === null || !/^\d+$/.test(revision) ? null : Number(revision),
        // As verify-binding.lua reads it: anything but a number is the service's own interval.
        lastSeenEvery: Number(lastSeenEvery) || 0,
        bindingCount: lengthReply,
        bindings,
        pending: reservationsOf(pending.data),
      };
    },

    async bindingRecords(accountId, machineCodes) {
      const records = new Map<string, BindingRecord>();
      if (machineCodes.length === 0) return records;
      const reply = await guardStore('redis', () => redis.hmget(accountKeys(prefix, accountId).bindings, ...machineCodes));
      machineCodes.forEach((machineCode, index) => {
        const text = reply[index];
        const record = typeof text === 'string' ? decodeBindingRecord(text) : null;
        if (record) records.set(machineCode, record);
      });
      return records;
    },

    async readWalk() {
      const text = await guardStore('redis', () => redis.get(walkKey));
      if (text === null) return { cursor: '0', backlog: [] };
      let parsed;
      try {
        parsed = walkState.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      // An unreadable state only costs a walk restarted from the beginning.
      return parsed?.success ? parsed.data : { cursor: '0', backlog: [] };
    },

    async saveWalk(state) {
      await guardStore('redis', () => redis.set(walkKey, JSON.stringify(state), 'EX', WALK_STATE_TTL_SECONDS));
    },
  };
}

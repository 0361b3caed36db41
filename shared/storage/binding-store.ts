import type { Logger } from '#shared/log/logger';
import type { Metrics } from '#shared/metrics/registry';
import { createNonce } from '#shared/security/binding-token';
import type { HeldLease, SignedLease } from '#shared/security/leases';
import { StoreFailure } from './errors';
import type { BindingInput, Bindings } from './mysql/bindings';
import { accountKeys, type AccountKeys } from './redis/keys';
import type { Scripts } from './redis/scripts';

/**
 * Keeps the seat invariants across the two stores (shared/guide/consistency.md):
 * MySQL is the ledger, Redis the fast path that may lose anything at any time.
 *
 * A registration runs in three steps: `reserve` (the Redis seat script
 * proposes and reserves seats), `persist` (MySQL decides with the same seat
 * rule under the account's row lock) and `settle` (the reservations become
 * bindings, or are released). When the two stores disagree, another request
 * changed the account in between or Redis is stale: the ledger then decides
 * alone (`decideInLedger`) and Redis reloads the account. Only the ledger
 * refuses a seat: a refusal from Redis is asked again there.
 *
 * - A reservation whose request died counts for PENDING_TTL_SECONDS at most,
 *   so a failure, even one whose undo failed too, never holds a seat for good.
 * - A Redis call whose outcome is unknown drops the account's loaded state,
 *   so the next request reloads it from the ledger before trusting it.
 * - `used` is always the ledger's count.
 *
 * One error channel: a store that fails throws StoreFailure (counted and
 * logged here, with the operation); results only ever describe seats.
 */
export type NodeToBind = Omit<BindingInput, 'nonce'>;

export type BindResult =
  | { kind: 'bound'; used: number; nonces: string[] }
  /** Only counted (the request fails on range causes) and every new machine would fit. */
  | { kind: 'fits' }
  | { kind: 'over'; overflowIndices: number[] };

/**
 * The machines among the request's that were bound, now unbound; or, when
 * they would take the account past its unbinding quota, how long until they
 * would fit, with every binding left as it was.
 */
export type UnbindResult = { kind: 'unbound'; bound: string[] } | { kind: 'over-quota'; retryAfterSeconds: number };
export type PreviewResult = { kind: 'fits'; used: number } | { kind: 'over'; overflowIndices: number[] };

export type VerifyResult =
  | {
      kind: 'bound';
      status: string;
      expiresAt: string;
      /** This heartbeat is the one of its interval that updates last-seen. */
      isLastSeenRecorded: boolean;
      /** The lease kept beside the binding, when Redis answered and holds one. */
      heldLease: HeldLease | null;
    }
  | { kind: 'not-bound' };

export interface BindingStore {
  /**
   * A dry run's seat check: the ledger counts under the account's row lock,
   * as the real registration's commit would, and writes nothing anywhere.
   * Throws StoreFailure when MySQL fails.
   */
  preview(input: { accountId: number; nodes: readonly NodeToBind[]; requestId?: string }): Promise<PreviewResult>;
  /** Throws StoreFailure when a store fails; nothing is then bound in either. */
  bind(input: {
    accountId: number;
    maxRegistrations: number;
    commit: boolean;
    nodes: readonly NodeToBind[];
    /**
     * The nodes' new leases, one for each node in order, signed while the
     * ledger writes: once committed they are kept beside the bindings
     * (as `keepLeases` does), sent to Redis with the commit of the
     * reservations when they are ready by then (ioredis pipelines what one
     * event-loop turn sends). When the ledger decides alone, Redis drops
     * the account and nothing is kept: the next heartbeat signs anew.
     */
    leases?: Promise<readonly SignedLease[]>;
    /** Named in every warning this call logs. */
    requestId?: string;
  }): Promise<BindResult>;
  /** A node's unbinding, counted against the quota. Throws StoreFailure, leaving every binding as it was. */
  unbind(accountId: number, machineCodes: readonly string[], requestId?: string): Promise<UnbindResult>;
  verify(input: {
    accountId: number;
    machineCode: string;
    nonce: string;
    nowSeconds: number;
    lastSeenIntervalSeconds: number;
    requestId?: string;
  }): Promise<VerifyResult>;
  /**
   * Keeps newly signed leases beside their bindings for every process to
   * re-use. Best effort: a failure only means signing again, so it is counted
   * and logged, never thrown.
   */
  keepLeases(accountId: number, leases: ReadonlyArray<{ machineCode: string; held: HeldLease }>, requestId?: string): Promise<void>;
  /** After a staff change: the next request reloads the account from MySQL. */
  invalidate(accountId: number, revision: number): Promise<void>;
}

/**
 * Longer than any registration can take between reserving and committing
 * (each MySQL statement gives up after 5 s), so a live request's reservation
 * never expires under it.
 */
export const PENDING_TTL_SECONDS = 60;

/** Refills of Redis (each reading MySQL afresh) before the ledger decides alone. */
const MAX_REFILLS = 4;

type Operation = 'bind' | 'preview' | 'load' | 'persist' | 'unbind' | 'verify' | 'keep-leases';

/**
 * What the seat script reserved: the rows to persist (nonces as Redis
 * decided), the reservations this request made, and the request's fresh
 * proposals. The ledger deciding alone takes the proposals, never a nonce
 * Redis remembered: a machine unbound meanwhile must not come back under its
 * old nonce, which would revive its old tokens.
 */
interface Reserved {
  kind: 'reserved';
  proposals: readonly BindingInput[];
  rows: BindingInput[];
  newIndices: number[];
  written: Array<{ machineCode: string; nonce: string }>;
}

export function createBindingStore(deps: {
  scripts: Scripts;
  bindings: Bindings;
  keyPrefix: string;
  metrics: Metrics;
  logger: Logger;
  /** Unix milliseconds; reservations are timed with it. */
  now: () => number;
}): BindingStore {
  const { scripts, bindings, metrics, logger } = deps;
  /**
   * The request each call's keys were made for, so every warning below names
   * it (issue: the request id on every warning about a store) without every
   * step taking one more argument; each call makes its own keys object.
   */
  const requestIds = new WeakMap<AccountKeys, string>();
  const keysOf = (accountId: number, requestId?: string) => {
    const keys = accountKeys(deps.keyPrefix, accountId);
    if (requestId !== undefined) requestIds.set(keys, requestId);
    return keys;
  };
  const traceOf = (keys: AccountKeys | undefined) => {
    const requestId = keys && requestIds.get(keys);
    return requestId === undefined ? {} : { requestId };
  };

  /** Counts and logs a store failure and gives it back to rethrow; anything else is a bug and goes on up as it is. */
  function counted(error: unknown, operation: Operation, keys?: AccountKeys): StoreFailure {
    if (!(error instanceof StoreFailure)) throw error;
    metrics.storeFailures.inc({ store: error.store, operation });
    logger.warn({ err: error, operation, ...traceOf(keys) }, 'store failure');
    return error;
  }

  /**
   * A store failure this store recovers from (the ledger answers instead, or
   * a lease is signed again next time): counted and logged like any, and
   * not thrown. Anything else is a bug and goes on up.
   */
  function recoverFrom(error: unknown, operation: Operation, keys: AccountKeys): void {
    counted(error, operation, keys);
  }

  /** Best effort: when even this fails, Redis is down and will be reloaded once its state is dropped or lost. */
  async function forget(keys: AccountKeys, revision = 0): Promise<void> {
    await scripts.invalidateAccount(keys, revision).catch((error: unknown) => {
      logger.warn({ err: error, key: keys.state, ...traceOf(keys) }, 'could not drop an account from Redis');
    });
  }

  async function keepLeases(keys: AccountKeys, leases: ReadonlyArray<{ machineCode: string; held: HeldLease }>): Promise<void> {
    try {
      await scripts.keepLeases(keys, leases);
    } catch (error) {
      recoverFrom(error, 'keep-leases', keys);
    }
  }

  /** Loads the ledger's copy into Redis; 'stale' when every copy read predates a change Redis was told of. */
  async function refill(accountId: number, keys: AccountKeys): Promise<'loaded' | 'missing' | 'stale'> {
    for (let attempt = 0; attempt < MAX_REFILLS; attempt++) {
      const snapshot = await bindings.snapshot(accountId);
      if (!snapshot) return 'missing';
      const reply = await scripts.loadAccount(keys, snapshot);
      metrics.redisRefills.inc({ result: reply.toLowerCase() });
      if (reply !== 'STALE') return 'loaded';
    }
    return 'stale';
  }

  async function reserve(
    keys: AccountKeys,
    input: Parameters<BindingStore['bind']>[0],
    proposals: readonly BindingInput[],
  ): Promise<Reserved | { kind: 'not-loaded' } | { kind: 'refused' } | { kind: 'fits' }> {
    let reply;
    try {
      reply = await scripts.bindNodes(keys, {
        maxRegistrations: input.maxRegistrations,
        commit: input.commit,
        nowSeconds: Math.floor(deps.now() / 1000),
        pendingTtlSeconds: PENDING_TTL_SECONDS,
        nodes: proposals,
      });
    } catch (error) {
      await forget(keys);
      throw counted(error, 'bind', keys);
    }
    switch (reply.kind) {
      case 'NOT_LOADED':
        return { kind: 'not-loaded' };
      case 'FITS':
        return { kind: 'fits' };
      case 'OVER':
        return { kind: 'refused' };
      case 'BOUND': {
        // A returned nonce equal to this request's proposal is a reservation this request made.
        const isNew = proposals.map((proposal, index) => reply.nonces[index] === proposal.nonce);
        return {
          kind: 'reserved',
          proposals,
          rows: proposals.map((proposal, index) => ({ ...proposal, nonce: reply.nonces[index] as string })),
          newIndices: isNew.flatMap((isNewMachine, index) => (isNewMachine ? [index] : [])),
          written: proposals.filter((_, index) => isNew[index]).map(({ machineCode, nonce }) => ({ machineCode, nonce })),
        };
      }
    }
  }

  async function persist(
    accountId: number,
    keys: AccountKeys,
    reserved: Reserved,
    leases: Promise<readonly SignedLease[]> | undefined,
  ): Promise<BindResult> {
    let ledger;
    try {
      ledger = await bindings.persistRegistration(accountId, reserved.rows, reserved.newIndices);
    } catch (error) {
      // A commit whose answer was lost (connection killed mid-COMMIT) may have happened: read the ledger back rather than guess.
      if (reserved.written.length > 0 && (await isInLedger(accountId, reserved.written))) {
        await settle('commitBindings', keys, reserved.written);
        return decideInLedger(accountId, keys, reserved.proposals, { commit: true, reason: 'read-back' });
      }
      await settle('undoBindNodes', keys, reserved.written);
      throw counted(error, 'persist', keys);
    }
    if (ledger.kind === 'committed') {
      const { rows } = reserved;
      const kept = leases?.then((signed) =>
        keepLeases(
          keys,
          rows.map((row, index) => ({ machineCode: row.machineCode, held: { nonce: row.nonce, ...(signed[index] as SignedLease) } })),
        ),
      );
      await Promise.all([settle('commitBindings', keys, reserved.written), kept]);
      return { kind: 'bound', used: ledger.used, nonces: rows.map((row) => row.nonce) };
    }
    await settle('undoBindNodes', keys, reserved.written);
    await forget(keys);
    return decideInLedger(accountId, keys, reserved.proposals, { commit: true, reason: 'contention' });
  }

  /**
   * Settles a registration's reservations in Redis: `commitBindings` once
   * MySQL has them, `undoBindNodes` when it has not. If Redis cannot take it
   * now, the account is dropped so that it reloads from the ledger.
   */
  async function settle(
    step: 'commitBindings' | 'undoBindNodes',
    keys: AccountKeys,
    written: ReadonlyArray<{ machineCode: string; nonce: string }>,
  ): Promise<void> {
    if (written.length === 0) return;
    try {
      await scripts[step](keys, written);
    } catch (error) {
      logger.warn({ err: error, step, ...traceOf(keys) }, 'could not settle reservations in Redis; dropping the account so it reloads');
      await forget(keys);
    }
  }

  /** Whether the ledger holds every one of these fresh nonces: only this request could have written them. */
  async function isInLedger(accountId: number, written: ReadonlyArray<{ machineCode: string; nonce: string }>): Promise<boolean> {
    const held = await bindings.countBoundWith(accountId, written).catch(() => 0);
    return held === written.length;
  }

  /**
   * The ledger decides alone, under the account's row lock, which serialises
   * the contending requests; Redis drops the account when it was wrong, so
   * that it reloads. Why it is asked:
   *
   * - 'contention': Redis disagreed with the ledger (another request changed
   *   the account between the seat script and the ledger check, or refills
   *   kept reading copies older than the latest change). Not a fault.
   * - 'refusal': Redis refused a seat. Redis counts reservations and the
   *   ledger does not: one whose reply and undo were lost with a failed-over
   *   master holds a seat in Redis for up to PENDING_TTL_SECONDS, so only the
   *   ledger may refuse (rule 3). Counted as contention when it disagrees.
   * - 'read-back': after a lost answer, decides once more, now as a
   *   re-registration of what was committed.
   */
  async function decideInLedger(
    accountId: number,
    keys: AccountKeys,
    rows: readonly BindingInput[],
    options: { commit: boolean; reason: 'contention' | 'refusal' | 'read-back' },
  ): Promise<BindResult> {
    if (options.reason === 'contention') metrics.ledgerDecisions.inc();
    let decision;
    try {
      decision = await bindings.decideRegistration(accountId, rows, options.commit);
    } catch (error) {
      await forget(keys);
      // The proposed nonces are fresh: one found in the ledger means the commit happened and only its answer was lost.
      const isLost =
        options.commit && options.reason !== 'read-back' && (await bindings.countBoundWith(accountId, rows).catch(() => 0)) > 0;
      if (isLost) return decideInLedger(accountId, keys, rows, { commit: true, reason: 'read-back' });
      throw counted(error, 'persist', keys);
    }
    if (options.reason === 'refusal' && decision.kind !== 'over') metrics.ledgerDecisions.inc();
    if (decision.kind === 'over') return decision;
    if (decision.kind === 'fits') {
      if (options.reason === 'refusal') await forget(keys);
      return decision;
    }
    await forget(keys, decision.revision);
    return { kind: 'bound', used: decision.used, nonces: decision.nonces };
  }

  async function bind(input: Parameters<BindingStore['bind']>[0]): Promise<BindResult> {
    const keys = keysOf(input.accountId, input.requestId);
    const proposals = input.nodes.map((node) => ({ ...node, nonce: createNonce() }));
    const ledgerAlone = { commit: input.commit, reason: 'contention' } as const;
    for (let attempt = 0; attempt < MAX_REFILLS; attempt++) {
      const reservation = await reserve(keys, input, proposals);
      if (reservation.kind === 'reserved') return persist(input.accountId, keys, reservation, input.leases);
      if (reservation.kind === 'refused')
        return decideInLedger(input.accountId, keys, proposals, { commit: input.commit, reason: 'refusal' });
      if (reservation.kind !== 'not-loaded') return reservation;
      let refilled;
      try {
        refilled = await refill(input.accountId, keys);
      } catch (error) {
        throw counted(error, 'load', keys);
      }
      if (refilled !== 'loaded') return decideInLedger(input.accountId, keys, proposals, ledgerAlone);
    }
    return decideInLedger(input.accountId, keys, proposals, ledgerAlone);
  }

  async function preview(input: Parameters<BindingStore['preview']>[0]): Promise<PreviewResult> {
    const rows = input.nodes.map((node) => ({ ...node, nonce: createNonce() }));
    let decision;
    try {
      decision = await bindings.decideRegistration(input.accountId, rows, false);
    } catch (error) {
      throw counted(error, 'preview', keysOf(input.accountId, input.requestId));
    }
    if (decision.kind === 'committed') throw new Error('the ledger committed a count-only decision');
    return decision;
  }

  async function unbind(accountId: number, machineCodes: readonly string[], requestId?: string): Promise<UnbindResult> {
    const keys = keysOf(accountId, requestId);
    let result;
    try {
      result = await bindings.unbind({ accountId, machineCodes, nowMs: deps.now() }, async (bound) => {
        await scripts.unbindNodes(keys, bound);
      });
    } catch (error) {
      // Redis may have dropped bindings MySQL then kept: reload them from the ledger.
      await forget(keys);
      throw counted(error, 'unbind', keys);
    }
    if (result.kind === 'over-quota') return result;
    // Fences out refills read before the delete; Redis is already right if this fails.
    if (result.bound.length > 0) await forget(keys, result.revision);
    return { kind: 'unbound', bound: result.bound };
  }

  /** MySQL answers alone: for a Redis that is down, and to confirm a "not bound" from a Redis that may be stale. */
  async function verifyInLedger(accountId: number, machineCode: string, nonce: string): Promise<VerifyResult> {
    const bound = await bindings.findBoundState(accountId, machineCode);
    return bound?.nonce === nonce
      ? { kind: 'bound', status: bound.status, expiresAt: bound.expiresAt, isLastSeenRecorded: true, heldLease: null }
      : { kind: 'not-bound' };
  }

  /** A heartbeat Redis could not place, confirmed (or not) by the ledger; a confirmed "gone" is noted so the next one needs no MySQL. */
  async function confirmNotBound(
    keys: AccountKeys,
    input: { accountId: number; machineCode: string; nonce: string },
  ): Promise<VerifyResult> {
    const confirmed = await verifyInLedger(input.accountId, input.machineCode, input.nonce);
    if (confirmed.kind === 'bound') {
      await forget(keys);
      return confirmed;
    }
    try {
      await scripts.rememberGone(keys, { machineCode: input.machineCode, nonce: input.nonce });
    } catch (error) {
      recoverFrom(error, 'verify', keys);
    }
    return confirmed;
  }

  async function verify(input: Parameters<BindingStore['verify']>[0]): Promise<VerifyResult> {
    const keys = keysOf(input.accountId, input.requestId);
    for (let attempt = 0; attempt < 2; attempt++) {
      let reply;
      try {
        reply = await scripts.verifyBinding(keys, input);
      } catch (error) {
        recoverFrom(error, 'verify', keys);
        return verifyInLedger(input.accountId, input.machineCode, input.nonce);
      }
      if (reply.kind === 'BOUND') {
        const { status, expiresAt, isLastSeenRecorded, heldLease } = reply;
        return { kind: 'bound', status, expiresAt, isLastSeenRecorded, heldLease };
      }
      if (reply.kind === 'GONE') return { kind: 'not-bound' };
      if (reply.kind === 'NOT_BOUND') return confirmNotBound(keys, input);
      let refilled;
      try {
        refilled = await refill(input.accountId, keys);
      } catch (error) {
        recoverFrom(error, 'load', keys);
        return verifyInLedger(input.accountId, input.machineCode, input.nonce);
      }
      if (refilled === 'missing') return { kind: 'not-bound' };
      if (refilled === 'stale') break;
    }
    return verifyInLedger(input.accountId, input.machineCode, input.nonce);
  }

  return {
    bind,
    preview,
    unbind,
    verify,
    keepLeases: (accountId, leases, requestId) => keepLeases(keysOf(accountId, requestId), leases),
    invalidate: (accountId, revision) => scripts.invalidateAccount(keysOf(accountId), revision),
  };
}

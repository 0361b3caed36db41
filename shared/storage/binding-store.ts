import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/registry';
import { createNonce } from '../security/binding-token';
import { StoreFailure } from './errors';
import type { BindingInput, Bindings, LedgerDecision } from './mysql/bindings';
import { accountKeys, type AccountKeys } from './redis/keys';
import type { Scripts } from './redis/scripts';

/**
 * Keeps the seat invariants across the two stores (shared/guide/consistency.md):
 * MySQL is the ledger, Redis the fast path that may lose anything at any time.
 *
 * - Redis proposes (the seat script reserves seats), MySQL decides (the same
 *   seat rule under the account's row lock). When they disagree, Redis is
 *   stale: the reservation is undone, the account reloaded and the request
 *   retried. Once MySQL has committed, the reservations become bindings.
 * - A reservation whose request died counts for PENDING_TTL_SECONDS at most,
 *   so a failure, even one whose undo failed too, never holds a seat for good.
 * - A Redis call whose outcome is unknown drops the account's loaded state,
 *   so the next request reloads it from the ledger before trusting it.
 */
export type NodeToBind = Omit<BindingInput, 'nonce'>;

export type BindResult =
  | { kind: 'bound'; used: number; nonces: string[] }
  /** Only counted (the request fails on range causes) and every new machine would fit. */
  | { kind: 'fits' }
  | { kind: 'over'; overflowIndices: number[] }
  | { kind: 'store-failed'; store: 'redis' | 'mysql' };

export type VerifyResult =
  /** `isLastSeenRecorded`: this heartbeat is the one of its interval that updates last-seen. */
  | { kind: 'bound'; status: string; expiresAt: string; isLastSeenRecorded: boolean }
  | { kind: 'not-bound' };

export type UnbindResult = { kind: 'done'; bound: string[] } | { kind: 'store-failed'; store: 'redis' | 'mysql' };

export interface BindingStore {
  bind(input: { accountId: number; maxRegistrations: number; commit: boolean; nodes: readonly NodeToBind[] }): Promise<BindResult>;
  unbind(accountId: number, machineCodes: readonly string[]): Promise<UnbindResult>;
  verify(input: { accountId: number; machineCode: string; nonce: string; nowSeconds: number; lastSeenIntervalSeconds: number }): Promise<VerifyResult>;
  /** After a staff change: the next request reloads the account from MySQL. */
  invalidate(accountId: number, revision: number): Promise<void>;
}

/**
 * Longer than any registration can take between reserving and committing
 * (each MySQL statement gives up after 5 s), so a live request's reservation
 * never expires under it.
 */
export const PENDING_TTL_SECONDS = 60;

/** Refills of Redis before the ledger decides alone. */
const MAX_ATTEMPTS = 4;

class StoresKeepDisagreeing extends Error {}

export function createBindingStore(deps: {
  scripts: Scripts;
  bindings: Bindings;
  keyPrefix: string;
  metrics: Metrics;
  logger: Logger;
}): BindingStore {
  const { scripts, bindings, metrics, logger } = deps;
  const keysOf = (accountId: number) => accountKeys(deps.keyPrefix, accountId);

  /** Best effort: when even this fails, Redis is down and will be reloaded once its state is dropped or lost. */
  async function forget(keys: AccountKeys, revision = 0): Promise<void> {
    await scripts.invalidateAccount(keys, revision).catch((error: unknown) => {
      logger.warn({ err: error, key: keys.state }, 'could not drop an account from Redis');
    });
  }

  async function load(accountId: number, keys: AccountKeys): Promise<'loaded' | 'missing'> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const snapshot = await bindings.snapshot(accountId);
      if (!snapshot) return 'missing';
      const reply = await scripts.loadAccount(keys, snapshot);
      metrics.redisRefills.inc({ result: reply.toLowerCase() });
      if (reply !== 'STALE') return 'loaded';
    }
    throw new StoresKeepDisagreeing(`account ${accountId}: every MySQL copy was older than the Redis floor`);
  }

  function failed(error: unknown, operation: string): { kind: 'store-failed'; store: 'redis' | 'mysql' } {
    if (!(error instanceof StoreFailure)) throw error;
    metrics.storeFailures.inc({ store: error.store, operation });
    logger.warn({ err: error, operation }, 'store failure');
    return { kind: 'store-failed', store: error.store };
  }

  async function bind(input: Parameters<BindingStore['bind']>[0]): Promise<BindResult> {
    const keys = keysOf(input.accountId);
    const proposals = input.nodes.map((node) => ({ machineCode: node.machineCode, nonce: createNonce() }));
    const proposedRows = input.nodes.map((node, index) => ({ ...node, nonce: (proposals[index] as { nonce: string }).nonce }));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let reply;
      try {
        reply = await scripts.bindNodes(keys, {
          maxRegistrations: input.maxRegistrations,
          commit: input.commit,
          nowSeconds: Math.floor(Date.now() / 1000),
          pendingTtlSeconds: PENDING_TTL_SECONDS,
          nodes: proposals,
        });
      } catch (error) {
        await forget(keys);
        return failed(error, 'bind');
      }
      switch (reply.kind) {
        case 'NOT_LOADED':
          try {
            await load(input.accountId, keys);
          } catch (error) {
            if (error instanceof StoresKeepDisagreeing) return decideInLedger(input.accountId, keys, proposedRows, input.commit);
            return failed(error, 'load');
          }
          continue;
        case 'FITS':
          return { kind: 'fits' };
        case 'OVER':
          return { kind: 'over', overflowIndices: reply.overflowIndices };
        case 'BOUND': {
          const written = proposals.filter((proposal, index) => reply.nonces[index] === proposal.nonce);
          const newIndices = proposals.flatMap((proposal, index) => (reply.nonces[index] === proposal.nonce ? [index] : []));
          const rows = input.nodes.map((node, index) => ({ ...node, nonce: reply.nonces[index] as string }));
          let ledger;
          try {
            ledger = await bindings.persistRegistration(input.accountId, rows, newIndices);
          } catch (error) {
            if (written.length > 0 && (await isCommitted(input.accountId, written))) {
              ledger = { kind: 'committed' as const, used: reply.seats + written.length };
            } else {
              await settle('undoBindNodes', keys, written);
              return failed(error, 'persist');
            }
          }
          if (ledger.kind === 'committed') {
            await settle('commitBindings', keys, written);
            return { kind: 'bound', used: ledger.used, nonces: reply.nonces };
          }
          await settle('undoBindNodes', keys, written);
          await forget(keys);
          return decideInLedger(input.accountId, keys, proposedRows, input.commit);
        }
      }
    }
    return decideInLedger(input.accountId, keys, proposedRows, input.commit);
  }

  /**
   * Redis disagreed with the ledger (another request changed the account
   * between the seat script and the ledger check, or a refill kept reading
   * copies older than the latest change). That is contention, not a fault:
   * the ledger decides alone under the account's row lock, which serialises
   * the contending requests, and Redis drops the account so that it reloads.
   */
  async function decideInLedger(
    accountId: number,
    keys: AccountKeys,
    rows: readonly BindingInput[],
    commit: boolean,
    isReadingBack = false,
  ): Promise<BindResult> {
    if (!isReadingBack) metrics.ledgerDecisions.inc();
    let decision: LedgerDecision;
    try {
      decision = await bindings.decideRegistration(accountId, rows, commit);
    } catch (error) {
      await forget(keys);
      // The proposed nonces are fresh: one found in the ledger means the commit happened and
      // only its answer was lost; deciding again then answers it as a re-registration.
      const isLost = commit && !isReadingBack && (await bindings.countBoundWith(accountId, rows).catch(() => 0)) > 0;
      return isLost ? decideInLedger(accountId, keys, rows, commit, true) : failed(error, 'persist');
    }
    if (decision.kind !== 'committed') return decision;
    await forget(keys, decision.revision);
    return { kind: 'bound', used: decision.used, nonces: decision.nonces };
  }

  /**
   * A commit whose answer was lost (connection killed mid-COMMIT) may have
   * happened: read the ledger back rather than guess, so a committed
   * registration is answered as one and never undone in Redis.
   */
  async function isCommitted(accountId: number, written: ReadonlyArray<{ machineCode: string; nonce: string }>): Promise<boolean> {
    const held = await bindings.countBoundWith(accountId, written).catch(() => 0);
    return held === written.length;
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
      logger.warn({ err: error, step }, 'could not settle reservations in Redis; dropping the account so it reloads');
      await forget(keys);
    }
  }

  async function unbind(accountId: number, machineCodes: readonly string[]): Promise<UnbindResult> {
    const keys = keysOf(accountId);
    try {
      const result = await bindings.unbind(accountId, machineCodes, async (bound) => {
        await scripts.unbindNodes(keys, bound);
      });
      // Fences out refills read before the delete; Redis is already right if this fails.
      if (result.bound.length > 0) await forget(keys, result.revision);
      return { kind: 'done', bound: result.bound };
    } catch (error) {
      // Redis may have dropped bindings MySQL then kept: reload them from the ledger.
      await forget(keys);
      return failed(error, 'unbind');
    }
  }

  /** MySQL answers alone: for a Redis that is down, and to confirm a "not bound" from a Redis that may be stale. */
  async function verifyInLedger(accountId: number, machineCode: string, nonce: string): Promise<VerifyResult> {
    const bound = await bindings.findBoundState(accountId, machineCode);
    return bound?.nonce === nonce
      ? { kind: 'bound', status: bound.status, expiresAt: bound.expiresAt, isLastSeenRecorded: true }
      : { kind: 'not-bound' };
  }

  async function verify(input: Parameters<BindingStore['verify']>[0]): Promise<VerifyResult> {
    const keys = keysOf(input.accountId);
    for (let attempt = 0; attempt < 2; attempt++) {
      let reply;
      try {
        reply = await scripts.verifyBinding(keys, input);
      } catch (error) {
        failed(error, 'verify');
        return verifyInLedger(input.accountId, input.machineCode, input.nonce);
      }
      if (reply.kind === 'BOUND') return { kind: 'bound', status: reply.status, expiresAt: reply.expiresAt, isLastSeenRecorded: reply.isLastSeenRecorded };
      if (reply.kind === 'NOT_BOUND') {
        const confirmed = await verifyInLedger(input.accountId, input.machineCode, input.nonce);
        if (confirmed.kind === 'bound') await forget(keys);
        return confirmed;
      }
      try {
        if ((await load(input.accountId, keys)) === 'missing') return { kind: 'not-bound' };
      } catch (error) {
        if (!(error instanceof StoresKeepDisagreeing)) failed(error, 'load');
        return verifyInLedger(input.accountId, input.machineCode, input.nonce);
      }
    }
    return verifyInLedger(input.accountId, input.machineCode, input.nonce);
  }

  return {
    bind,
    unbind,
    verify,
    invalidate: (accountId, revision) => scripts.invalidateAccount(keysOf(accountId), revision),
  };
}

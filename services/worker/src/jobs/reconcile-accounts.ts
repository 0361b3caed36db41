import type { Logger } from '#shared/log/logger';
import type { Metrics } from '#shared/metrics/registry';
import { PENDING_TTL_SECONDS, type BindingStore } from '#shared/storage/binding-store';
import { StoreFailure } from '#shared/storage/errors';
import type { Bindings } from '#shared/storage/mysql/bindings';
import { bindingDigest, type LedgerSummaries, type LedgerSummary } from '#shared/storage/mysql/ledger-summaries';
import type { LoadedAccounts, RedisCopy } from '#shared/storage/redis/loaded-accounts';

/**
 * reconcile-accounts: the safety net that bounds how long Redis can stay out
 * of step with the ledger.
 *
 * Why it exists. Every path that changes an account keeps Redis right or
 * drops the account so it reloads (shared/storage/binding-store.ts). Two
 * cases still leave a wrong copy in Redis with nothing to correct it: a staff
 * change committed in MySQL whose Redis invalidation failed (the admin CLI
 * warns, the change stays), and a registration committed in MySQL whose Redis
 * step failed and whose fallback "drop the account" failed too (Redis was
 * down or timing out). Until the next such drop, heartbeats are answered from
 * the old copy: the old status or expiry, a binding staff released, a seat
 * count that is off. This job walks the loaded accounts and invalidates every
 * copy that differs from MySQL, so such a copy lasts at most one pass of the
 * walk (loaded accounts / maxAccounts runs, one run per interval).
 *
 * What it compares, cheapest first, for each account loaded in Redis:
 * 1. status, expiresAt and how often heartbeats record last-seen (the
 *    silent-seat release's interval), and the binding count, against one MySQL statement
 *    (the account row plus an index count);
 * 2. for accounts up to `maxComparedBindings`, the set of (machine code,
 *    nonce): a 64-bit digest MySQL aggregates in one row, against the same
 *    digest over the Redis copy; when the copy holds live reservations, the
 *    ledger's list of bindings instead (a digest cannot say "these, plus
 *    some of those").
 * On a difference it calls the binding store's `invalidate(accountId,
 * revision)`: the next request reloads the account from the ledger. It never
 * writes bindings, and reads nothing under a lock.
 *
 * Running beside API traffic. The two stores are read at different instants,
 * so a request between the reads can make a copy that is in step look
 * different. Three rules keep that from turning into invalidations:
 * - A registration reserves its machines in `pending`, commits them to MySQL,
 *   then moves them to `bindings`. So a copy is in step when every Redis
 *   binding is in the ledger and every ledger binding is in Redis, either as
 *   a binding or as a live reservation with the same nonce (younger than
 *   PENDING_TTL_SECONDS). A binding committed in MySQL and not yet moved in
 *   Redis is therefore no difference at all.
 * - MySQL is read before Redis, and a difference counts only if the account's
 *   revision is unchanged after the Redis read. Every write bumps the
 *   revision in its transaction, so an unchanged revision means the ledger
 *   was what was compared across the whole Redis read; a changed one means a
 *   request was in flight, and the account is left for the next pass
 *   ("busy"), when it is compared afresh.
 * - The invalidation is fenced with the revision read, so it can only make a
 *   refill read a copy at least that new.
 * One window remains: an unbinding removes machines from Redis just before
 *   its MySQL commit, so a read landing in between sees the ledger still
 *   holding them. The job then invalidates, which the unbinding is about to do
 *   itself; it costs one reload. Invalidating is always safe: a reload keeps
 *   every nonce (tokens stay valid) and reservations in flight settle as
 *   designed for a dropped account.
 *
 * Bounded work. A run checks at most `maxAccounts` accounts and makes at most
 * `maxScanCalls` SCAN calls; accounts a SCAN batch returned beyond the budget
 * wait in the walk's backlog for the next run, so a pass misses no account
 * that stayed loaded throughout it. Overlapping runs (two worker processes)
 * only repeat work.
 */
export interface ReconcileDeps {
  loaded: LoadedAccounts;
  ledger: LedgerSummaries;
  bindings: Pick<Bindings, 'snapshot'>;
  bindingStore: Pick<BindingStore, 'invalidate'>;
  metrics: Pick<Metrics, 'reconcileChecked' | 'reconcileMismatches'>;
  logger: Logger;
}

export interface ReconcileOptions {
  /** Accounts compared per run, at most. */
  maxAccounts: number;
  /** COUNT hint of each SCAN call. */
  scanCount: number;
  /** SCAN calls per run, at most: most keys are not state keys, so a SCAN can return none. */
  maxScanCalls: number;
  /** Bigger accounts are compared on status, expiry and count only. */
  maxComparedBindings: number;
  nowSeconds: number;
  /** Checked between accounts (worker shutdown); what is left waits in the backlog. */
  signal?: AbortSignal;
}

export const RECONCILE_DEFAULTS = {
  maxAccounts: 2000,
  scanCount: 500,
  maxScanCalls: 200,
  maxComparedBindings: 10_000,
} as const satisfies Omit<ReconcileOptions, 'nowSeconds' | 'signal'>;

/** Store failures in one run after which the stores are taken to be down and the run stops. */
const MAX_FAILURES_PER_RUN = 5;

export const MISMATCH_REASONS = ['account-missing', 'status', 'expires-at', 'last-seen-every', 'binding-count', 'binding-set'] as const;
export type MismatchReason = (typeof MISMATCH_REASONS)[number];
export type CheckResult = 'in-step' | 'mismatch' | 'busy' | 'gone' | 'failed';

export interface ReconcileSummary {
  checked: number;
  results: Record<CheckResult, number>;
  /** Accounts invalidated by this run, with what differed. */
  mismatches: Array<{ accountId: number; reasons: MismatchReason[] }>;
  scanCalls: number;
  /** The walk reached the end of the keyspace and its backlog is empty: the next run starts a new pass. */
  isPassComplete: boolean;
  /** The signal stopped the run early. */
  isStopped: boolean;
}

/** The ledger's side of one comparison; `bindings` says how much of the set was read. */
export type LedgerView = Omit<LedgerSummary, 'digest'> & {
  bindings: { kind: 'count' } | { kind: 'digest'; digest: bigint } | { kind: 'list'; nonces: ReadonlyMap<string, string> };
};

type Check =
  | { result: 'in-step' | 'busy' | 'gone' }
  /** `revision` is the ledger's, as compared (0 when the row is gone); `loadedRevision` the copy's. */
  | { result: 'mismatch'; reasons: MismatchReason[]; revision: number; loadedRevision: number | null };

function liveReservations(copy: RedisCopy, nowSeconds: number): Map<string, string> {
  const oldest = nowSeconds - PENDING_TTL_SECONDS;
  const live = new Map<string, string>();
  for (const [machineCode, reservation] of copy.pending) {
    // Same rule as bind-nodes.lua: a reservation older than the TTL holds no seat.
    if (reservation.sinceSeconds >= oldest && !copy.bindings?.has(machineCode)) live.set(machineCode, reservation.nonce);
  }
  return live;
}

/** Every way `copy` differs from `ledger`, in MISMATCH_REASONS order; empty when in step. */
export function differences(ledger: LedgerView, copy: RedisCopy, nowSeconds: number): MismatchReason[] {
  const found: MismatchReason[] = [];
  if (copy.status !== ledger.status) found.push('status');
  if (copy.expiresAt !== ledger.expiresAt) found.push('expires-at');
  // A copy loaded before staff set releaseAfterSilentSeconds records last-seen too seldom for the release to be exact.
  if (copy.lastSeenEvery !== ledger.lastSeenEverySeconds) found.push('last-seen-every');
  const live = liveReservations(copy, nowSeconds);
  // Redis may hold fewer bindings than the ledger only by committed registrations not yet moved out of `pending`.
  if (ledger.bindingCount < copy.bindingCount || ledger.bindingCount > copy.bindingCount + live.size) {
    found.push('binding-count');
    return found;
  }
  const bindings = copy.bindings;
  if (bindings === null) return found;
  if (ledger.bindings.kind === 'digest' && bindingDigest(bindings) !== ledger.bindings.digest) found.push('binding-set');
  if (ledger.bindings.kind === 'list') {
    const nonces = ledger.bindings.nonces;
    const isHeld = [...bindings].every(([machineCode, nonce]) => nonces.get(machineCode) === nonce);
    const isCovered = [...nonces].every(([machineCode, nonce]) => (bindings.get(machineCode) ?? live.get(machineCode)) === nonce);
    if (!isHeld || !isCovered) found.push('binding-set');
  }
  return found;
}

async function readLedgerList(deps: ReconcileDeps, accountId: number): Promise<LedgerView | null> {
  const snapshot = await deps.bindings.snapshot(accountId);
  if (!snapshot) return null;
  return {
    revision: snapshot.revision,
    status: snapshot.status,
    expiresAt: snapshot.expiresAt,
    lastSeenEverySeconds: snapshot.lastSeenEverySeconds,
    bindingCount: snapshot.bindings.length,
    bindings: { kind: 'list', nonces: new Map(snapshot.bindings.map((binding) => [binding.machineCode, binding.nonce])) },
  };
}

async function readLedgerDigest(deps: ReconcileDeps, accountId: number): Promise<LedgerView | null> {
  const summary = await deps.ledger.summarize(accountId, { withDigest: true });
  if (summary?.digest == null) return null;
  return { ...summary, bindings: { kind: 'digest', digest: summary.digest } };
}

/**
 * Compares one account. Each comparison pairs a MySQL read with a later Redis
 * read and is trusted only if the revision is the same after the Redis read
 * (see the header): the second MySQL read doubles as that check.
 */
async function compareAccount(deps: ReconcileDeps, accountId: number, options: ReconcileOptions): Promise<Check> {
  const summary = await deps.ledger.summarize(accountId, { withDigest: false });
  if (!summary) return { result: 'mismatch', reasons: ['account-missing'], revision: 0, loadedRevision: null };
  const first: LedgerView = { ...summary, bindings: { kind: 'count' } };
  const counted = await deps.loaded.read(accountId, { withBindings: false });
  if (!counted) return { result: 'gone' };
  const mismatch = (reasons: MismatchReason[], copy: RedisCopy): Check => ({
    result: 'mismatch',
    reasons,
    revision: first.revision,
    loadedRevision: copy.revision,
  });

  const found = differences(first, counted, options.nowSeconds);
  if (found.length > 0) {
    const revision = await deps.ledger.revisionOf(accountId);
    return revision === first.revision ? mismatch(found, counted) : { result: 'busy' };
  }
  if (first.bindingCount > options.maxComparedBindings) return { result: 'in-step' };

  const copy = await deps.loaded.read(accountId, { withBindings: true });
  if (!copy) return { result: 'gone' };
  const ledger =
    liveReservations(copy, options.nowSeconds).size > 0 ? await readLedgerList(deps, accountId) : await readLedgerDigest(deps, accountId);
  if (ledger?.revision !== first.revision) return { result: 'busy' };
  const setFound = differences(ledger, copy, options.nowSeconds);
  return setFound.length > 0 ? mismatch(setFound, copy) : { result: 'in-step' };
}

/** Takes the next accounts of the walk: the backlog first, then SCAN batches until the budget is met. */
async function nextAccounts(deps: ReconcileDeps, options: ReconcileOptions) {
  const walk = await deps.loaded.readWalk();
  const queued = new Set(walk.backlog);
  let cursor = walk.cursor;
  let scanCalls = 0;
  // Cursor '0' with a backlog: this pass's SCAN is over, only its backlog is left.
  let isScanning = walk.cursor !== '0' || walk.backlog.length === 0;
  while (isScanning && queued.size < options.maxAccounts && scanCalls < options.maxScanCalls) {
    const page = await deps.loaded.scan(cursor, options.scanCount);
    scanCalls++;
    page.accountIds.forEach((accountId) => queued.add(accountId));
    cursor = page.cursor;
    isScanning = cursor !== '0';
  }
  const accountIds = [...queued];
  return { cursor, scanCalls, batch: accountIds.slice(0, options.maxAccounts), overflow: accountIds.slice(options.maxAccounts) };
}

export async function reconcileAccounts(deps: ReconcileDeps, options: ReconcileOptions): Promise<ReconcileSummary> {
  const { cursor, scanCalls, batch, overflow } = await nextAccounts(deps, options);
  const results: Record<CheckResult, number> = { 'in-step': 0, mismatch: 0, busy: 0, gone: 0, failed: 0 };
  const mismatches: ReconcileSummary['mismatches'] = [];
  let done = 0;
  let isStopped = false;

  const saveWalk = () => deps.loaded.saveWalk({ cursor, backlog: [...batch.slice(done), ...overflow] });

  for (const accountId of batch) {
    if (options.signal?.aborted) {
      isStopped = true;
      break;
    }
    let result: CheckResult;
    try {
      const check = await compareAccount(deps, accountId, options);
      result = check.result;
      if (check.result === 'mismatch') {
        // Fenced with the revision compared: a refill must then read a copy at least that new.
        await deps.bindingStore.invalidate(accountId, check.revision);
        mismatches.push({ accountId, reasons: check.reasons });
        deps.metrics.reconcileMismatches.inc({ reason: check.reasons[0] });
        deps.logger.warn(
          { accountId, reasons: check.reasons, revision: check.revision, loadedRevision: check.loadedRevision },
          'Redis copy differed from the ledger: invalidated',
        );
      }
    } catch (error) {
      if (!(error instanceof StoreFailure)) {
        // A fault, not a store failure: surface it, but past this account, so one bad account cannot stall the walk.
        done++;
        await saveWalk().catch(() => undefined);
        throw error;
      }
      result = 'failed';
      deps.logger.warn({ err: error, accountId }, 'could not reconcile an account');
    }
    done++;
    results[result]++;
    deps.metrics.reconcileChecked.inc({ result });
    if (results.failed >= MAX_FAILURES_PER_RUN) {
      // Keep the progress made if Redis still answers; the next run goes on from there.
      await saveWalk().catch(() => undefined);
      throw new Error(`reconcile-accounts: ${results.failed} store failures in one run; stopping until the next run`);
    }
  }

  await saveWalk();
  const backlogLength = batch.length - done + overflow.length;
  const summary: ReconcileSummary = {
    checked: done,
    results,
    mismatches,
    scanCalls,
    isPassComplete: cursor === '0' && backlogLength === 0,
    isStopped,
  };
  deps.logger.info({ ...summary, mismatches: mismatches.length }, 'reconcile-accounts run finished');
  return summary;
}

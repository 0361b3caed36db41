import type { Logger } from '#shared/log/logger';
import type { Metrics } from '#shared/metrics/registry';
import { silentReleaseDueAt } from '#shared/domain/silent-release';
import type { BindingStore } from '#shared/storage/binding-store';
import { StoreFailure } from '#shared/storage/errors';
import type { SilentBindings, SilentReleasingAccount } from '#shared/storage/mysql/silent-bindings';
import type { LoadedAccounts } from '#shared/storage/redis/loaded-accounts';

/**
 * Silent-seat release (admin contract, `releaseAfterSilentSeconds`): every
 * SILENT_RELEASE_INTERVAL_SECONDS, bindings whose node has been silent for
 * its account's period are released with a staff release's guarantees — the
 * ledger first, under the account's row lock and re-checked there, audited
 * with actor `system` in the same transaction, then Redis fenced with the new
 * revision (rule 4). Last contact is the later of what MySQL and Redis
 * recorded; when Redis cannot be read the account waits for the next run
 * rather than be judged on half the facts.
 */
export interface SilentReleaseDeps {
  silent: SilentBindings;
  loaded: Pick<LoadedAccounts, 'bindingRecords'>;
  bindingStore: Pick<BindingStore, 'invalidate'>;
  metrics: Metrics;
  logger: Logger;
}

export interface SilentReleaseSummary {
  accounts: number;
  released: number;
  skipped: number;
}

export const SILENT_ACTOR = 'system';
const ACCOUNTS_PER_PAGE = 200;
/** Bindings released per account per run: a larger backlog goes on in the next run. */
const RELEASES_PER_ACCOUNT = 500;

async function releaseAccount(deps: SilentReleaseDeps, account: SilentReleasingAccount, nowSeconds: number): Promise<number> {
  const candidates = await deps.silent.candidates(account, nowSeconds, RELEASES_PER_ACCOUNT);
  if (candidates.length === 0) return 0;
  const records = await deps.loaded.bindingRecords(
    account.accountId,
    candidates.map((candidate) => candidate.machineCode),
  );
  const machines = candidates
    .map((candidate) => {
      const record = records.get(candidate.machineCode);
      return { ...candidate, lastSeenElsewhere: record?.nonce === candidate.nonce ? record.seconds : 0 };
    })
    .filter(
      (machine) =>
        silentReleaseDueAt(
          {
            registeredAt: machine.registeredAt,
            lastSeen: Math.max(machine.lastSeen, machine.lastSeenElsewhere),
            settingSince: account.since,
          },
          account.releaseAfterSilentSeconds,
        ) <= nowSeconds,
    );
  if (machines.length === 0) return 0;
  const { released, revision } = await deps.silent.release({
    accountId: account.accountId,
    machines,
    nowSeconds,
    audit: (machineCode) => ({
      actor: SILENT_ACTOR,
      action: 'binding.release',
      details: { machineCode, reason: 'silent' },
      before: { machineCode },
      after: null,
    }),
  });
  if (released.length === 0) return 0;
  deps.metrics.silentReleased.inc(released.length);
  await deps.bindingStore.invalidate(account.accountId, revision).catch((error: unknown) => {
    // Committed; the reconcile job drops the stale copy on its next pass.
    deps.logger.warn({ err: error, accountId: account.accountId }, 'silent bindings released, but Redis could not be told');
  });
  return released.length;
}

export async function releaseSilentBindings(deps: SilentReleaseDeps, options: { nowSeconds: number }): Promise<SilentReleaseSummary> {
  const summary: SilentReleaseSummary = { accounts: 0, released: 0, skipped: 0 };
  for (let afterId = 0; ;) {
    const accounts = await deps.silent.accounts(afterId, ACCOUNTS_PER_PAGE);
    for (const account of accounts) {
      summary.accounts++;
      try {
        summary.released += await releaseAccount(deps, account, options.nowSeconds);
      } catch (error) {
        if (!(error instanceof StoreFailure)) throw error;
        summary.skipped++;
        deps.metrics.silentReleaseSkipped.inc();
        deps.logger.warn({ err: error, accountId: account.accountId }, 'silent bindings of an account left for the next run');
      }
    }
    const last = accounts.at(-1);
    if (!last || accounts.length < ACCOUNTS_PER_PAGE) return summary;
    afterId = last.accountId;
  }
}

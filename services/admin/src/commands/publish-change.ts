import type { AdminDeps } from '../deps';

/**
 * What follows every committed staff change: invalidate the account in Redis
 * (contract rule 8: every API process reads the account state from Redis, so
 * dropping it there, fenced by the change's revision, makes the next request
 * reload it from MySQL). The change and its audit entry are already committed
 * together and stay; if Redis cannot be told now, staff get a warning, and the
 * worker's reconcile job drops the stale copy on its next pass (it compares
 * every loaded account's state and bindings with the ledger), so the change
 * reaches the API processes without anyone having to act on the warning.
 */
export interface Change {
  accountId: number;
  revision: number;
}

/** The outcome of a change that was committed; warnings name follow-up steps that failed. */
export interface Applied<T> {
  kind: 'applied';
  value: T;
  warnings: string[];
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function publishChange(deps: Pick<AdminDeps, 'invalidate'>, change: Change): Promise<string[]> {
  try {
    await deps.invalidate(change.accountId, change.revision);
    return [];
  } catch (error) {
    return [
      `the change is saved in MySQL but Redis could not be told (${reason(error)}): API processes may use the old account state until the worker's reconcile job drops it on its next pass`,
    ];
  }
}

import type { AdminDeps } from '../deps';

/**
 * What follows every committed staff change, in this order:
 * 1. invalidate the account in Redis (contract rule 8: every API process
 *    reads the account state from Redis, so dropping it there, fenced by the
 *    change's revision, makes the next request reload it from MySQL);
 * 2. write the audit row.
 * The change itself is already committed and stays: a step that fails here
 * becomes a warning for staff, not an undo.
 */
export interface Change {
  action: 'account.create' | 'account.update' | 'binding.release';
  accountId: number;
  revision: number;
  /** Never a password, hash, nonce or token. */
  details: Record<string, unknown>;
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

export async function publishChange(deps: Pick<AdminDeps, 'actor' | 'auditLog' | 'invalidate'>, change: Change): Promise<string[]> {
  const warnings: string[] = [];
  try {
    await deps.invalidate(change.accountId, change.revision);
  } catch (error) {
    warnings.push(
      `the change is saved in MySQL but Redis could not be told (${reason(error)}): API processes may go on using the old account state until Redis reloads it`,
    );
  }
  try {
    await deps.auditLog.record({ actor: deps.actor, action: change.action, accountId: change.accountId, details: change.details });
  } catch (error) {
    warnings.push(`the change is saved but the audit log could not be written (${reason(error)})`);
  }
  return warnings;
}

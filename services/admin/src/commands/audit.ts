import type { AuditEntry } from '#shared/storage/mysql/audit';
import type { AdminDeps } from '../deps';

/** Reading the staff audit trail, newest first. */
export interface ListAuditInput {
  /** Only this account's entries. */
  name?: string;
  limit: number;
}

export type ListAuditOutcome = { kind: 'listed'; entries: AuditEntry[] } | { kind: 'not-found' };

export async function listAudit(deps: Pick<AdminDeps, 'accounts' | 'auditLog'>, input: ListAuditInput): Promise<ListAuditOutcome> {
  if (input.name === undefined) return { kind: 'listed', entries: await deps.auditLog.list({ limit: input.limit }) };
  const account = await deps.accounts.findByName(input.name);
  if (!account) return { kind: 'not-found' };
  return { kind: 'listed', entries: await deps.auditLog.list({ accountId: account.certificate.id, limit: input.limit }) };
}

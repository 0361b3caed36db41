import { z } from 'zod';
import { ACCOUNT_STATUSES, type Certificate } from '#shared/domain/account';
import {
  checkAccountSettings,
  validateAccountPolicy,
  validateAccountSettings,
  type AccountPolicy,
  type AccountSettings,
  type FieldProblem,
} from '#shared/domain/account-settings';
import { parseIpRange, type IpRange } from '#shared/domain/ranges';
import { fieldChanges } from '#shared/domain/field-changes';
import { insertAuditEntry, type AuditStamp } from './audit';
import { execute, inTransaction, selectRows, type Pool } from './pool';
import { recordEvent } from './webhook-events';

const stringList = z.string().transform((text, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = z.array(z.string()).safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: 'not a JSON list of strings' });
    return z.NEVER;
  }
  return parsed.data;
});

const accountRow = z.object({
  id: z.coerce.number().int().positive(),
  name: z.string(),
  password_hash: z.string(),
  status: z.enum(ACCOUNT_STATUSES),
  version: z.string(),
  expires_at: z.string(),
  max_registrations: z.coerce.number().int(),
  allowed_ips: stringList,
  allowed_domains: stringList,
  allowed_app_names: stringList,
  revision: z.coerce.number().int(),
  edit_revision: z.coerce.number().int(),
  max_unbinds_per_day: z.coerce.number().int().nullable(),
  release_after_silent_seconds: z.coerce.number().int().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export interface AccountRecord {
  certificate: Certificate;
  passwordHash: string;
  /** Grows with every change of the account or its bindings: Redis's fence. */
  revision: number;
  /** Grows with changes of the account's own fields only: the staff API's ETag. */
  editRevision: number;
  settings: AccountSettings;
  policy: AccountPolicy;
  createdAt: string;
  updatedAt: string;
}

/**
 * A stored account whose settings no longer pass the rules they were saved
 * under (a hand edit, a bad migration). It is a fault, never "allow all":
 * dropping an unreadable range could leave an empty list, which allows every
 * address. The message names the account and the values; the caller answers
 * with the fallback cause.
 */
export class StoredAccountInvalid extends Error {
  constructor(accountId: number, problems: readonly string[]) {
    super(`account ${accountId} has stored settings that do not pass validation: ${problems.join('; ')}`);
    this.name = 'StoredAccountInvalid';
  }
}

/** The settings as stored, before any check: what a staff change merges into. */
function storedSettings(r: z.infer<typeof accountRow>): AccountSettings {
  return {
    status: r.status,
    version: r.version,
    expiresAt: r.expires_at,
    maxRegistrations: r.max_registrations,
    allowedIps: r.allowed_ips,
    allowedDomains: r.allowed_domains,
    allowedAppNames: r.allowed_app_names,
  };
}

/** A stored column's value as a problem may show it: never the password's hash. */
function shownValue(row: unknown, column: PropertyKey | undefined): string {
  if (column === 'password_hash') return '(not shown)';
  const value = typeof row === 'object' && row !== null && column !== undefined ? (row as Record<PropertyKey, unknown>)[column] : undefined;
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/**
 * Parses a row selected with ACCOUNT_COLUMNS; other columns of the row are
 * ignored. A column that does not parse is StoredAccountInvalid too, naming
 * the column and its value.
 */
export function toAccountRecord(row: unknown): AccountRecord {
  const parsed = accountRow.safeParse(row);
  if (!parsed.success) {
    const id = Number((row as { id?: unknown } | null)?.id);
    throw new StoredAccountInvalid(
      id,
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}: ${shownValue(row, issue.path[0])}`),
    );
  }
  const r = parsed.data;
  const check = checkAccountSettings(storedSettings(r));
  if (!check.ok) throw new StoredAccountInvalid(r.id, check.problems);
  const { settings } = check;
  // checkAccountSettings has parsed every one of them.
  const allowedIps = settings.allowedIps.map((text) => parseIpRange(text) as IpRange);
  return {
    certificate: { ...settings, id: r.id, name: r.name, allowedIps },
    passwordHash: r.password_hash,
    revision: r.revision,
    editRevision: r.edit_revision,
    settings,
    policy: storedPolicy(r),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function storedPolicy(r: z.infer<typeof accountRow>): AccountPolicy {
  return { maxUnbindsPerDay: r.max_unbinds_per_day, releaseAfterSilentSeconds: r.release_after_silent_seconds };
}

export const ACCOUNT_COLUMNS =
  'id, name, password_hash, status, version, expires_at, max_registrations, allowed_ips, allowed_domains, allowed_app_names, revision, ' +
  'edit_revision, max_unbinds_per_day, release_after_silent_seconds, created_at, updated_at';

function settingsValues(settings: AccountSettings): Array<string | number> {
  return [
    settings.status,
    settings.version,
    settings.expiresAt,
    settings.maxRegistrations,
    JSON.stringify(settings.allowedIps),
    JSON.stringify(settings.allowedDomains),
    JSON.stringify(settings.allowedAppNames),
  ];
}

/** What one staff change sees of the account, before and after: its own fields, never the password. */
export interface AccountFields {
  settings: AccountSettings;
  policy: AccountPolicy;
}

/** An account's own fields as one record, field by field: what audit entries and `account.changed` compare. */
export function accountFieldValues(fields: AccountFields): Record<string, unknown> {
  return { ...fields.settings, ...fields.policy };
}

export interface AccountChange {
  passwordHash?: string;
  /** Only what staff gave; merged under the row lock into what is stored. */
  settings?: Partial<AccountSettings>;
  policy?: Partial<AccountPolicy>;
  /** When given, the change applies only if the account is still at this edit revision (its ETag). */
  expectedRevision?: number;
  /** The audit entry, from the stored and the merged fields. */
  audit: Omit<AuditStamp, 'details' | 'before' | 'after'> & {
    describe: (before: AccountFields, after: AccountFields) => Pick<AuditStamp, 'details' | 'before' | 'after'>;
  };
}

export type AccountUpdate =
  | { kind: 'updated'; id: number; revision: number; editRevision: number }
  /** Every field given already had that value and no password was set: nothing written, no entry, no event. */
  | { kind: 'unchanged'; id: number }
  | { kind: 'not-found' }
  | { kind: 'invalid'; problems: FieldProblem[] }
  | { kind: 'revision-mismatch'; revision: number }
  /** Seats may not go below the machines bound now: release some first. */
  | { kind: 'seats-below-bound'; used: number; requested: number };

export interface Accounts {
  findByName(name: string): Promise<AccountRecord | null>;
  findById(id: number): Promise<AccountRecord | null>;
  /** The name alone (names never change): what a lease names the account by. */
  nameOf(id: number): Promise<string | null>;
  /**
   * Null when the name is taken. The audit entry, when given (a staff
   * change), commits with the account or not at all, and so does its
   * `account.changed` event.
   */
  create(
    input: { name: string; passwordHash: string; settings: AccountSettings; policy?: AccountPolicy },
    audit?: AuditStamp,
  ): Promise<number | null>;
  /**
   * One staff change, atomic: the stored settings are read under the row
   * lock, merged with the given ones, checked with the rules they were saved
   * under, written, audited and announced (`account.changed`) in one
   * transaction, so two staff editing at once never lose a change and no
   * committed change goes unaudited.
   */
  update(name: string, change: AccountChange): Promise<AccountUpdate>;
}

export function createAccounts(pool: Pool): Accounts {
  async function findOne(where: string, value: string | number): Promise<AccountRecord | null> {
    const [row] = await selectRows(pool, `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE ${where} = ?`, [value]);
    return row ? toAccountRecord(row) : null;
  }

  return {
    findByName: (name) => findOne('name', name),
    findById: (id) => findOne('id', id),
    async nameOf(id) {
      const [row] = await selectRows(pool, 'SELECT name FROM accounts WHERE id = ?', [id]);
      const name: unknown = row?.name;
      if (Buffer.isBuffer(name)) return name.toString('utf8');
      return typeof name === 'string' ? name : null;
    },

    create({ name, passwordHash, settings, policy }, audit) {
      return inTransaction(pool, async (connection) => {
        const result = await execute(
          connection,
          `INSERT IGNORE INTO accounts (name, password_hash, status, version, expires_at, max_registrations, allowed_ips, allowed_domains,
             allowed_app_names, max_unbinds_per_day, release_after_silent_seconds)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [name, passwordHash, ...settingsValues(settings), policy?.maxUnbindsPerDay ?? null, policy?.releaseAfterSilentSeconds ?? null],
        );
        if (result.affectedRows !== 1) return null;
        if (audit) {
          await insertAuditEntry(connection, { ...audit, accountId: result.insertId });
          // A new account has announced nothing yet.
          await recordEvent(
            connection,
            { accountId: result.insertId, eventSequence: 0 },
            {
              type: 'account.changed',
              data: { account: name, before: null, after: audit.after ?? null },
            },
          );
        }
        return result.insertId;
      });
    },

    update(name, change) {
      return inTransaction(pool, async (connection): Promise<AccountUpdate> => {
        const [row] = await selectRows(
          connection,
          `SELECT ${ACCOUNT_COLUMNS}, event_sequence, bound_count FROM accounts WHERE name = ? FOR UPDATE`,
          [name],
        );
        if (!row) return { kind: 'not-found' };
        const stored = accountRow.parse(row);
        if (change.expectedRevision !== undefined && change.expectedRevision !== stored.edit_revision) {
          return { kind: 'revision-mismatch', revision: stored.edit_revision };
        }
        const before: AccountFields = { settings: storedSettings(stored), policy: storedPolicy(stored) };
        const validation = validateAccountSettings({ ...before.settings, ...change.settings });
        const policy = { ...before.policy, ...change.policy };
        const problems = [...(validation.ok ? [] : validation.problems), ...validateAccountPolicy(policy)];
        if (!validation.ok || problems.length > 0) return { kind: 'invalid', problems };
        const after: AccountFields = { settings: validation.settings, policy };
        if (
          change.passwordHash === undefined &&
          Object.keys(fieldChanges(accountFieldValues(before), accountFieldValues(after)).changes).length === 0
        )
          return { kind: 'unchanged', id: stored.id };
        if (after.settings.maxRegistrations < before.settings.maxRegistrations) {
          // Under the account's row lock, which every binding change takes first: the count cannot move.
          const used = Number(row.bound_count);
          if (after.settings.maxRegistrations < used)
            return { kind: 'seats-below-bound', used, requested: after.settings.maxRegistrations };
        }
        await execute(
          connection,
          `UPDATE accounts SET password_hash = ?, status = ?, version = ?, expires_at = ?, max_registrations = ?,
             allowed_ips = ?, allowed_domains = ?, allowed_app_names = ?, max_unbinds_per_day = ?, release_after_silent_seconds = ?,
             release_after_silent_since = IF(?, CURRENT_TIMESTAMP(3), release_after_silent_since),
             revision = revision + 1, edit_revision = edit_revision + 1 WHERE id = ?`,
          [
            change.passwordHash ?? stored.password_hash,
            ...settingsValues(after.settings),
            policy.maxUnbindsPerDay,
            policy.releaseAfterSilentSeconds,
            // Silence counts from a change of the setting, so changing it never releases at once.
            policy.releaseAfterSilentSeconds !== before.policy.releaseAfterSilentSeconds,
            stored.id,
          ],
        );
        const { describe, ...who } = change.audit;
        const described = describe(before, after);
        await insertAuditEntry(connection, { ...who, ...described, accountId: stored.id });
        // Receivers see what the audit log says changed (both null for a password reset).
        await recordEvent(
          connection,
          { accountId: stored.id, eventSequence: Number(row.event_sequence) },
          {
            type: 'account.changed',
            data: { account: stored.name, before: described.before ?? null, after: described.after ?? null },
          },
        );
        return { kind: 'updated', id: stored.id, revision: stored.revision + 1, editRevision: stored.edit_revision + 1 };
      });
    },
  };
}

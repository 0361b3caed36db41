import { z } from 'zod';
import { ACCOUNT_STATUSES, type Certificate } from '../../domain/account';
import { checkAccountSettings, type AccountSettings } from '../../domain/account-settings';
import { parseIpRange, type IpRange } from '../../domain/ranges';
import { insertAuditEntry, type AuditStamp } from './audit';
import { execute, inTransaction, selectRows, type Pool } from './pool';

const stringList = z.string().transform((text, ctx) => {
  const parsed = z.array(z.string()).safeParse(JSON.parse(text));
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
});

export interface AccountRecord {
  certificate: Certificate;
  passwordHash: string;
  revision: number;
  settings: AccountSettings;
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

/** Parses a row selected with ACCOUNT_COLUMNS; other columns of the row are ignored. */
export function toAccountRecord(row: unknown): AccountRecord {
  const r = accountRow.parse(row);
  const check = checkAccountSettings(storedSettings(r));
  if (!check.ok) throw new StoredAccountInvalid(r.id, check.problems);
  const { settings } = check;
  // checkAccountSettings has parsed every one of them.
  const allowedIps = settings.allowedIps.map((text) => parseIpRange(text) as IpRange);
  return {
    certificate: { ...settings, id: r.id, name: r.name, allowedIps },
    passwordHash: r.password_hash,
    revision: r.revision,
    settings,
  };
}

export const ACCOUNT_COLUMNS =
  'id, name, password_hash, status, version, expires_at, max_registrations, allowed_ips, allowed_domains, allowed_app_names, revision';

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

export interface AccountChange {
  passwordHash?: string;
  /** Only what staff gave; merged under the row lock into what is stored. */
  settings: Partial<AccountSettings>;
  /** When given, the change applies only if the account is still at this revision. */
  expectedRevision?: number;
  /** The audit entry, from the stored and the merged settings. */
  audit: { actor: string; action: string; details(before: AccountSettings, after: AccountSettings): Record<string, unknown> };
}

export type AccountUpdate =
  | { kind: 'updated'; id: number; revision: number }
  | { kind: 'not-found' }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'revision-mismatch'; revision: number };

export interface Accounts {
  findByName(name: string): Promise<AccountRecord | null>;
  findById(id: number): Promise<AccountRecord | null>;
  /** Null when the name is taken. The audit entry, when given, commits with the account or not at all. */
  create(input: { name: string; passwordHash: string; settings: AccountSettings }, audit?: AuditStamp): Promise<number | null>;
  /**
   * One staff change, atomic: the stored settings are read under the row
   * lock, merged with the given ones, checked with the rules they were saved
   * under, written and audited in one transaction, so two staff editing at
   * once never lose a change and no committed change goes unaudited.
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

    create({ name, passwordHash, settings }, audit) {
      return inTransaction(pool, async (connection) => {
        const result = await execute(
          connection,
          `INSERT IGNORE INTO accounts (name, password_hash, status, version, expires_at, max_registrations, allowed_ips, allowed_domains, allowed_app_names)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [name, passwordHash, ...settingsValues(settings)],
        );
        if (result.affectedRows !== 1) return null;
        if (audit) await insertAuditEntry(connection, { ...audit, accountId: result.insertId });
        return result.insertId;
      });
    },

    update(name, change) {
      return inTransaction(pool, async (connection): Promise<AccountUpdate> => {
        const [row] = await selectRows(connection, `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE name = ? FOR UPDATE`, [name]);
        if (!row) return { kind: 'not-found' };
        const stored = accountRow.parse(row);
        if (change.expectedRevision !== undefined && change.expectedRevision !== stored.revision) {
          return { kind: 'revision-mismatch', revision: stored.revision };
        }
        const before = storedSettings(stored);
        const check = checkAccountSettings({ ...before, ...change.settings });
        if (!check.ok) return { kind: 'invalid', problems: check.problems };
        await execute(
          connection,
          `UPDATE accounts SET password_hash = ?, status = ?, version = ?, expires_at = ?, max_registrations = ?,
             allowed_ips = ?, allowed_domains = ?, allowed_app_names = ?, revision = revision + 1 WHERE id = ?`,
          [change.passwordHash ?? stored.password_hash, ...settingsValues(check.settings), stored.id],
        );
        const { actor, action, details } = change.audit;
        await insertAuditEntry(connection, { actor, action, accountId: stored.id, details: details(before, check.settings) });
        return { kind: 'updated', id: stored.id, revision: stored.revision + 1 };
      });
    },
  };
}

import { z } from 'zod';
import { ACCOUNT_STATUSES, type Certificate } from '../../domain/account';
import { checkAccountSettings, type AccountSettings } from '../../domain/account-settings';
import { parseIpRange, type IpRange } from '../../domain/ranges';
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

function toRecord(row: unknown): AccountRecord {
  const r = accountRow.parse(row);
  const check = checkAccountSettings({
    status: r.status,
    version: r.version,
    expiresAt: r.expires_at,
    maxRegistrations: r.max_registrations,
    allowedIps: r.allowed_ips,
    allowedDomains: r.allowed_domains,
    allowedAppNames: r.allowed_app_names,
  });
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

const COLUMNS =
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

export interface Accounts {
  findByName(name: string): Promise<AccountRecord | null>;
  findById(id: number): Promise<AccountRecord | null>;
  /** Null when the name is taken. */
  create(input: { name: string; passwordHash: string; settings: AccountSettings }): Promise<number | null>;
  /** Applies the change and returns the new revision; null when there is no such account. */
  update(name: string, change: { passwordHash?: string; settings: AccountSettings }): Promise<{ id: number; revision: number } | null>;
}

export function createAccounts(pool: Pool): Accounts {
  async function findOne(where: string, value: string | number): Promise<AccountRecord | null> {
    const [row] = await selectRows(pool, `SELECT ${COLUMNS} FROM accounts WHERE ${where} = ?`, [value]);
    return row ? toRecord(row) : null;
  }

  return {
    findByName: (name) => findOne('name', name),
    findById: (id) => findOne('id', id),

    async create({ name, passwordHash, settings }) {
      const result = await execute(
        pool,
        `INSERT IGNORE INTO accounts (name, password_hash, status, version, expires_at, max_registrations, allowed_ips, allowed_domains, allowed_app_names)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [name, passwordHash, ...settingsValues(settings)],
      );
      return result.affectedRows === 1 ? result.insertId : null;
    },

    async update(name, { passwordHash, settings }) {
      return inTransaction(pool, async (connection) => {
        const [row] = await selectRows(connection, 'SELECT id, password_hash FROM accounts WHERE name = ? FOR UPDATE', [name]);
        if (!row) return null;
        const id = Number(row.id);
        await execute(
          connection,
          `UPDATE accounts SET password_hash = ?, status = ?, version = ?, expires_at = ?, max_registrations = ?,
             allowed_ips = ?, allowed_domains = ?, allowed_app_names = ?, revision = revision + 1 WHERE id = ?`,
          [passwordHash ?? String(row.password_hash), ...settingsValues(settings), id],
        );
        const [after] = await selectRows(connection, 'SELECT revision FROM accounts WHERE id = ?', [id]);
        return { id, revision: Number(after?.revision) };
      });
    },
  };
}

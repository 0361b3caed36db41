import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { STAFF_ROLES, type StaffRole } from '#shared/domain/staff';
import { fieldChanges } from '#shared/domain/field-changes';
import { insertAuditEntry, type AuditStamp } from './audit';
import { execute, inTransaction, isDuplicateKey, selectRows, type Pool } from './pool';
import { decodeCursor, pageOf, type Page } from './cursor';

/**
 * Staff identities and their API tokens (migration 0007). Passwords are
 * bcrypt hashes made by the caller; a token's secret is shown once and only
 * its SHA-256 is kept. Every change is audited in its own transaction.
 */
export interface StaffRecord {
  id: number;
  email: string;
  role: StaffRole;
  passwordHash: string;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface TokenRecord {
  id: number;
  name: string;
  role: StaffRole;
  createdBy: number;
  createdByEmail: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A live token as authentication needs it: its creator's current state decides what it may do. */
export interface ActiveToken extends TokenRecord {
  creatorRole: StaffRole;
  creatorDisabled: boolean;
}

const staffRow = z.object({
  id: z.coerce.number().int().positive(),
  email: z.string(),
  role: z.enum(STAFF_ROLES),
  password_hash: z.string(),
  disabled: z.coerce.number().transform((value) => value !== 0),
  created_at: z.string(),
  last_login_at: z.string().nullable(),
});

const tokenRow = z.object({
  id: z.coerce.number().int().positive(),
  name: z.string(),
  role: z.enum(STAFF_ROLES),
  created_by: z.coerce.number().int().positive(),
  creator_email: z.string(),
  creator_role: z.enum(STAFF_ROLES),
  creator_disabled: z.coerce.number().transform((value) => value !== 0),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});

function toStaff(row: unknown): StaffRecord {
  const r = staffRow.parse(row);
  return {
    id: r.id,
    email: r.email,
    role: r.role,
    passwordHash: r.password_hash,
    disabled: r.disabled,
    createdAt: r.created_at,
    lastLoginAt: r.last_login_at,
  };
}

function toToken(row: unknown): ActiveToken {
  const r = tokenRow.parse(row);
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    createdBy: r.created_by,
    createdByEmail: r.creator_email,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    creatorRole: r.creator_role,
    creatorDisabled: r.creator_disabled,
  };
}

const byId = (record: { id: number }) => record.id;

const revokedToken = z.object({ id: z.coerce.number().int().positive(), name: z.string(), role: z.enum(STAFF_ROLES) });

const STAFF_COLUMNS = 'id, email, role, password_hash, disabled, created_at, last_login_at';
const TOKEN_SELECT = `SELECT t.id, t.name, t.role, t.created_by, s.email AS creator_email, s.role AS creator_role, s.disabled AS creator_disabled,
  t.created_at, t.last_used_at FROM api_tokens t JOIN staff s ON s.id = t.created_by`;

/** The bytes a token's secret is found by: its SHA-256 (the secret is random, so no salt or slow hash is needed). */
export function tokenSecretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function createTokenSecret(): string {
  return `rcat_${randomBytes(32).toString('base64url')}`;
}

/** What the audit trail says of a revoked token, whoever revoked it (DELETE /tokens, or disabling its creator). */
export function tokenRevocation(token: { id: number; name: string; role: StaffRole }) {
  return {
    action: 'token.revoke',
    details: { id: token.id, name: token.name },
    before: { name: token.name, role: token.role },
    after: null,
  };
}

export interface StaffDirectory {
  create(input: { email: string; role: StaffRole; passwordHash: string }, audit: AuditStamp): Promise<StaffRecord | null>;
  findByEmail(email: string): Promise<StaffRecord | null>;
  findById(id: number): Promise<StaffRecord | null>;
  list(page: { limit: number; cursor?: string }): Promise<Page<StaffRecord>>;
  /**
   * Null when there is no such staff member. Disabling revokes every token
   * they made, in the same transaction, each with its `token.revoke` entry
   * by the same actor. The audit entry's `before`/`after`
   * (and its `details.changes`) are the fields that moved, read under the
   * row lock; `details` adds the email.
   */
  update(
    email: string,
    change: { role?: StaffRole; disabled?: boolean },
    audit: Omit<AuditStamp, 'details' | 'before' | 'after'>,
  ): Promise<StaffRecord | null>;
  recordLogin(id: number): Promise<void>;

  createToken(input: { name: string; role: StaffRole; createdBy: number; secret: string }, audit: AuditStamp): Promise<TokenRecord>;
  findActiveToken(secret: string): Promise<ActiveToken | null>;
  findToken(id: number): Promise<ActiveToken | null>;
  listTokens(page: { limit: number; cursor?: string; createdBy?: number }): Promise<Page<TokenRecord>>;
  /** False when the token does not exist or was already revoked. */
  revokeToken(id: number, audit: AuditStamp): Promise<boolean>;
  touchToken(id: number): Promise<void>;
}

export function createStaffDirectory(pool: Pool): StaffDirectory {
  async function findStaff(where: string, value: string | number): Promise<StaffRecord | null> {
    const [row] = await selectRows(pool, `SELECT ${STAFF_COLUMNS} FROM staff WHERE ${where} = ?`, [value]);
    return row ? toStaff(row) : null;
  }

  return {
    create(input, audit) {
      return inTransaction(pool, async (connection) => {
        let id: number;
        try {
          const result = await execute(connection, 'INSERT INTO staff (email, role, password_hash) VALUES (?, ?, ?)', [
            input.email,
            input.role,
            input.passwordHash,
          ]);
          id = result.insertId;
        } catch (error) {
          if (isDuplicateKey(error)) return null;
          throw error;
        }
        await insertAuditEntry(connection, { ...audit, accountId: null });
        const [row] = await selectRows(connection, `SELECT ${STAFF_COLUMNS} FROM staff WHERE id = ?`, [id]);
        return toStaff(row);
      });
    },

    findByEmail: (email) => findStaff('email', email),
    findById: (id) => findStaff('id', id),

    async list({ limit, cursor }) {
      const after = decodeCursor(cursor);
      const rows = await selectRows(pool, `SELECT ${STAFF_COLUMNS} FROM staff WHERE id < ? ORDER BY id DESC LIMIT ?`, [
        after ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      ]);
      return pageOf(rows.map(toStaff), limit, byId);
    },

    update(email, change, audit) {
      return inTransaction(pool, async (connection) => {
        const [row] = await selectRows(connection, `SELECT ${STAFF_COLUMNS} FROM staff WHERE email = ? FOR UPDATE`, [email]);
        if (!row) return null;
        const current = toStaff(row);
        const next = { role: change.role ?? current.role, disabled: change.disabled ?? current.disabled };
        const { changes, before, after } = fieldChanges({ role: current.role, disabled: current.disabled }, next);
        // Setting what is already set changes nothing, so it writes no entry.
        if (Object.keys(changes).length === 0) return current;
        await execute(connection, 'UPDATE staff SET role = ?, disabled = ? WHERE id = ?', [next.role, next.disabled, current.id]);
        await insertAuditEntry(connection, { ...audit, details: { email: current.email, changes }, before, after, accountId: null });
        if (change.disabled === true) {
          const tokens = await selectRows(
            connection,
            'SELECT id, name, role FROM api_tokens WHERE created_by = ? AND revoked_at IS NULL FOR UPDATE',
            [current.id],
          );
          await execute(connection, 'UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP(3) WHERE created_by = ? AND revoked_at IS NULL', [
            current.id,
          ]);
          for (const token of tokens.map((row) => revokedToken.parse(row)))
            await insertAuditEntry(connection, { ...audit, ...tokenRevocation(token), accountId: null });
        }
        const [updated] = await selectRows(connection, `SELECT ${STAFF_COLUMNS} FROM staff WHERE id = ?`, [current.id]);
        return toStaff(updated);
      });
    },

    async recordLogin(id) {
      await execute(pool, 'UPDATE staff SET last_login_at = CURRENT_TIMESTAMP(3) WHERE id = ?', [id]);
    },

    createToken(input, audit) {
      return inTransaction(pool, async (connection) => {
        const result = await execute(connection, 'INSERT INTO api_tokens (name, role, created_by, secret_hash) VALUES (?, ?, ?, ?)', [
          input.name,
          input.role,
          input.createdBy,
          tokenSecretHash(input.secret),
        ]);
        await insertAuditEntry(connection, { ...audit, accountId: null });
        const [row] = await selectRows(connection, `${TOKEN_SELECT} WHERE t.id = ?`, [result.insertId]);
        return toToken(row);
      });
    },

    async findActiveToken(secret) {
      const [row] = await selectRows(pool, `${TOKEN_SELECT} WHERE t.secret_hash = ? AND t.revoked_at IS NULL`, [tokenSecretHash(secret)]);
      return row ? toToken(row) : null;
    },

    async findToken(id) {
      const [row] = await selectRows(pool, `${TOKEN_SELECT} WHERE t.id = ? AND t.revoked_at IS NULL`, [id]);
      return row ? toToken(row) : null;
    },

    async listTokens({ limit, cursor, createdBy }) {
      const after = decodeCursor(cursor) ?? Number.MAX_SAFE_INTEGER;
      const rows =
        createdBy === undefined
          ? await selectRows(pool, `${TOKEN_SELECT} WHERE t.revoked_at IS NULL AND t.id < ? ORDER BY t.id DESC LIMIT ?`, [after, limit + 1])
          : await selectRows(
              pool,
              `${TOKEN_SELECT} WHERE t.revoked_at IS NULL AND t.created_by = ? AND t.id < ? ORDER BY t.id DESC LIMIT ?`,
              [createdBy, after, limit + 1],
            );
      return pageOf(rows.map(toToken), limit, byId);
    },

    revokeToken(id, audit) {
      return inTransaction(pool, async (connection) => {
        const result = await execute(
          connection,
          'UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND revoked_at IS NULL',
          [id],
        );
        if (result.affectedRows === 0) return false;
        await insertAuditEntry(connection, { ...audit, accountId: null });
        return true;
      });
    },

    async touchToken(id) {
      await execute(pool, 'UPDATE api_tokens SET last_used_at = CURRENT_TIMESTAMP(3) WHERE id = ?', [id]);
    },
  };
}

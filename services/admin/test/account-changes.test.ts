import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { AccountSettings } from '#shared/domain/account-settings';
import { RUN_MYSQL_URL, testConfig } from '#shared/testing/test-environment';
import { createAccount, updateAccount } from '../src/commands/accounts';
import { createAdminDeps, type AdminDeps } from '../src/deps';

/**
 * Staff changes are atomic: merged under the account's row lock, checked
 * against an expected revision when one is given, and audited in the same
 * transaction. Two staff editing at once are two concurrent use-case calls.
 */
describe('staff changes to an account', function () {
  let deps: AdminDeps;
  let db: mysql.Connection;
  let counter = 0;

  const SETTINGS: AccountSettings = {
    status: 'active',
    version: '11.0',
    expiresAt: '2099-12-31',
    maxRegistrations: 10,
    allowedIps: [],
    allowedDomains: [],
    allowedAppNames: [],
  };

  async function newAccount(): Promise<string> {
    const name = `change-${process.pid}-${++counter}-${Date.now()}`;
    const created = await createAccount(deps, { name, password: 'S3cret!', settings: SETTINGS });
    assert.equal(created.kind, 'applied');
    return name;
  }

  async function stored(name: string) {
    const [[row]] = await db.query<mysql.RowDataPacket[]>(
      'SELECT id, status, max_registrations, version, revision FROM accounts WHERE name = ?',
      [name],
    );
    return row as mysql.RowDataPacket;
  }

  async function auditActions(name: string): Promise<string[]> {
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      'SELECT l.action FROM audit_log l JOIN accounts a ON a.id = l.account_id WHERE a.name = ? ORDER BY l.id',
      [name],
    );
    return rows.map((row) => String(row.action));
  }

  before(async function () {
    deps = createAdminDeps(testConfig());
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await deps.close();
  });

  it('keeps both of two concurrent changes to different fields, each audited', async function () {
    const name = await newAccount();
    const results = await Promise.all([
      updateAccount(deps, { name, settings: { status: 'frozen' } }),
      updateAccount(deps, { name, settings: { maxRegistrations: 20 } }),
      updateAccount(deps, { name, settings: { version: '12.0' } }),
    ]);
    assert.deepEqual(
      results.map((result) => result.kind),
      ['applied', 'applied', 'applied'],
    );
    const row = await stored(name);
    assert.deepEqual([row.status, Number(row.max_registrations), row.version], ['frozen', 20, '12.0']);
    assert.deepEqual(await auditActions(name), ['account.create', 'account.update', 'account.update', 'account.update']);
  });

  it('applies exactly one of two changes made against the same revision', async function () {
    const name = await newAccount();
    const revision = Number((await stored(name)).revision);
    const results = await Promise.all([
      updateAccount(deps, { name, settings: { maxRegistrations: 3 }, expectedRevision: revision }),
      updateAccount(deps, { name, settings: { maxRegistrations: 4 }, expectedRevision: revision }),
    ]);
    const kinds = results.map((result) => result.kind).sort();
    assert.deepEqual(kinds, ['applied', 'revision-mismatch']);
    const refused = results.find((result) => result.kind === 'revision-mismatch');
    assert.deepEqual(refused, { kind: 'revision-mismatch', revision: revision + 1 });
    assert.equal(Number((await stored(name)).revision), revision + 1);
    assert.deepEqual(await auditActions(name), ['account.create', 'account.update']);
  });

  it('commits no change whose audit entry cannot be written', async function () {
    const name = await newAccount();
    const before = await stored(name);
    // audit_log.actor holds 128 characters: this insert fails inside the change's transaction.
    const unauditable = { ...deps, actor: 'x'.repeat(300) };
    await assert.rejects(updateAccount(unauditable, { name, settings: { status: 'disabled' } }));
    assert.deepEqual(await stored(name), before);
    assert.deepEqual(await auditActions(name), ['account.create']);
  });

  it('fixes a stored value that no longer parses by merging a good one under the lock', async function () {
    const name = await newAccount();
    await db.query('UPDATE accounts SET allowed_ips = ? WHERE name = ?', [JSON.stringify(['10.0.0.0/33']), name]);
    const fixed = await updateAccount(deps, { name, settings: { allowedIps: ['10.0.0.0/8'] } });
    assert.equal(fixed.kind, 'applied');
    const kept = await updateAccount(deps, { name, settings: { status: 'frozen' } });
    assert.equal(kept.kind, 'applied');
  });
});

import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { bindingInput } from '#shared/testing/nodes-to-bind';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { createBindings, type Bindings } from './bindings';
import { executeAndCommit, inTransaction, isDuplicateKey } from './pool';

/**
 * The ledger's own rules over a real MariaDB: the seat count the triggers of
 * migration 0013 keep beside the rows, and the batches a transaction sends
 * (its BEGIN with the first statement, its last statements with COMMIT).
 */
describe('ledger bindings', function () {
  let api: TestApi;
  let db: mysql.Connection;
  let bindings: Bindings;

  before(async function () {
    api = await startTestApi();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    bindings = createBindings(api.deps.pool);
  });
  after(async function () {
    await db.end();
    await api.close();
  });

  async function counted(account: TestAccount) {
    const [[row]] = await db.query<mysql.RowDataPacket[]>(
      `SELECT bound_count, (SELECT COUNT(*) FROM bindings b WHERE b.account_id = a.id) AS rows_bound, updated_at
         FROM accounts a WHERE id = ?`,
      [account.id],
    );
    return { count: Number(row?.bound_count), rows: Number(row?.rows_bound), updatedAt: String(row?.updated_at) };
  }
  async function seats(account: TestAccount) {
    const { count, rows } = await counted(account);
    return { count, rows };
  }

  it('keeps the seat count with the rows through registrations, unbindings, releases and plain SQL, leaving updated_at alone', async function () {
    const account = await api.createAccount({ maxRegistrations: 10 });
    const { updatedAt } = await counted(account);
    const committed = await bindings.persistRegistration(account.id, ['a', 'b', 'c'].map(bindingInput), [0, 1, 2]);
    assert.deepEqual(committed, { kind: 'committed', used: 3 });
    assert.deepEqual(await counted(account), { count: 3, rows: 3, updatedAt });

    // A re-registration of a bound machine with a new one counts the new one only.
    const again = await bindings.persistRegistration(account.id, ['c', 'd'].map(bindingInput), [1]);
    assert.deepEqual(again, { kind: 'committed', used: 4 });
    assert.deepEqual(await seats(account), { count: 4, rows: 4 });

    await bindings.unbind({ accountId: account.id, machineCodes: ['a', 'zz'], nowMs: Date.now() }, () => Promise.resolve());
    await bindings.release(account.id, ['b'], () => ({ actor: 'test', action: 'binding.release', details: {} }));
    assert.deepEqual(await counted(account), { count: 2, rows: 2, updatedAt });

    await db.query(
      "INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, app_name, app_version) VALUES (?, 'e', 'eeeeeeeeeeeeeeee', 'e', '203.0.113.8', 'webroot', '11.0')",
      [account.id],
    );
    await db.query("DELETE FROM bindings WHERE account_id = ? AND machine_code = 'c'", [account.id]);
    assert.deepEqual(await counted(account), { count: 2, rows: 2, updatedAt });
  });

  it('counts under the row lock: a registration that takes the last seats leaves none for the next', async function () {
    const account = await api.createAccount({ maxRegistrations: 3 });
    const decisions = await Promise.all(
      ['x', 'y', 'z', 'w'].map((code) => bindings.decideRegistration(account.id, [bindingInput(code), bindingInput(`${code}2`)], true)),
    );
    assert.equal(decisions.filter((decision) => decision.kind === 'committed').length, 1);
    assert.equal(decisions.filter((decision) => decision.kind === 'over').length, 3);
    assert.deepEqual(await seats(account), { count: 2, rows: 2 });
  });

  it('refuses a registration whose machine another wrote first, writing none of it and no event', async function () {
    const account = await api.createAccount({ maxRegistrations: 10 });
    await db.query(
      "INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, app_name, app_version) VALUES (?, 'taken', 'tttttttttttttttt', 'taken', '203.0.113.8', 'webroot', '11.0')",
      [account.id],
    );
    // Redis claimed both are new; the INSERT's duplicate key is what refuses the claim.
    const refused = await bindings.persistRegistration(account.id, ['fresh', 'taken'].map(bindingInput), [0, 1]);
    assert.deepEqual(refused, { kind: 'disagrees' });
    assert.deepEqual(await seats(account), { count: 1, rows: 1 });
    const [[events]] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM webhook_events WHERE account_id = ?', [account.id]);
    assert.equal(Number(events?.n), 0);
  });

  it('rolls back the statements a failing batch ran before its failure, COMMIT included in the batch', async function () {
    const account = await api.createAccount();
    const insert = (code: string) => ({
      sql: "INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, app_name, app_version) VALUES (?, ?, 'bbbbbbbbbbbbbbbb', 'n', '203.0.113.9', 'webroot', '11.0')",
      params: [account.id, code],
    });
    await assert.rejects(
      inTransaction(api.deps.pool, (connection) => executeAndCommit(connection, [insert('first'), insert('second'), insert('first')])),
      isDuplicateKey,
    );
    assert.deepEqual(await seats(account), { count: 0, rows: 0 });

    // The connection that failed goes back to the pool usable, with no transaction left open on it.
    await inTransaction(api.deps.pool, (connection) => executeAndCommit(connection, [insert('first')]));
    assert.deepEqual(await seats(account), { count: 1, rows: 1 });
  });
});

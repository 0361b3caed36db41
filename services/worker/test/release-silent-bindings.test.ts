import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { createAdminDeps } from '../../admin/src/deps';
import { parseCommandLine } from '../../admin/src/command-line';
import { runCommand } from '../../admin/src/run-command';
import { connectRedis } from '#shared/storage/redis/client';
import { accountKeys } from '#shared/storage/redis/keys';
import { createLoadedAccounts } from '#shared/storage/redis/loaded-accounts';
import { startTcpProxy } from '#shared/testing/tcp-proxy';
import { expectNodeCauses } from '#shared/testing/expect-causes';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL, SHARED_REDIS, testConfig } from '#shared/testing/test-environment';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { createWorkerDeps, type WorkerDeps } from '../src/deps';
import { releaseSilentBindings } from '../src/jobs/release-silent-bindings';

interface Node {
  nodeId: string;
  machineCode: string;
  token: string;
}

/**
 * Silent-seat release over real stores, on a clock the test moves: the API
 * records heartbeats at the test's time, the job decides at it, and MySQL's
 * own timestamps (registration, the setting's change) stay real.
 */
describe('worker job release-silent-bindings', function () {
  let nowMs = Date.now();
  let api: TestApi;
  let worker: WorkerDeps;
  let db: mysql.Connection;
  const prefix = `${RUN_KEY_PREFIX}s${randomBytes(4).toString('hex')}:`;

  before(async function () {
    api = await startTestApi({ REDIS_KEY_PREFIX: prefix }, { now: () => new Date(nowMs) });
    worker = await createWorkerDeps(testConfig({ REDIS_KEY_PREFIX: prefix }));
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await worker.close();
    await api.close();
  });

  async function cli(args: string[]) {
    const parsed = parseCommandLine(args);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
    assert.notEqual(parsed.invocation.command, 'help');
    if (parsed.invocation.command === 'help') return;
    const admin = createAdminDeps(api.config);
    try {
      const report = await runCommand(admin, parsed.invocation);
      assert.equal(report.exitCode, 0, report.messages.join('\n'));
    } finally {
      await admin.close();
    }
  }

  async function register(account: TestAccount, count: number): Promise<Node[]> {
    const response = await request(api.app).post('/v1/registrations').send(registrationBody(account, count));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return (response.body as { nodes: Node[] }).nodes;
  }
  const verify = (node: Node) => request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });
  const ledger = async (account: TestAccount) => {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT machine_code FROM bindings WHERE account_id = ? ORDER BY machine_code', [
      account.id,
    ]);
    return rows.map((row) => String(row.machine_code));
  };
  const run = () => releaseSilentBindings(worker.silentRelease, { nowSeconds: Math.floor(nowMs / 1000) });

  it('releases a silent node within 30 s after the period, never one heartbeating every half period, audited as system', async function () {
    nowMs = Date.now();
    const start = nowMs;
    const account = await api.createAccount({ maxRegistrations: 5 });
    const [talker, silent] = (await register(account, 2)) as [Node, Node];
    await cli(['accounts:update', '--name', account.name, '--release-after-silent-seconds', '60']);

    let releasedAt: number | null = null;
    for (let step = 1; step <= 10; step++) {
      nowMs = start + step * 30_000;
      assert.equal((await verify(talker)).status, 200, `the talking node is bound at +${String(step * 30)} s`);
      await api.deps.context.lastSeen.flush();
      await run();
      if (releasedAt === null && !(await ledger(account)).includes(silent.machineCode)) releasedAt = nowMs;
    }
    assert.ok(releasedAt !== null, 'the silent node was released');
    const late = (releasedAt - start) / 1000 - 60;
    assert.ok(late >= 0 && late <= 30, `released ${String(late)} s after the period`);
    assert.deepEqual(await ledger(account), [talker.machineCode]);
    assert.equal(await api.deps.redis.hexists(accountKeys(prefix, account.id).bindings, silent.machineCode), 0, 'gone from Redis too');
    expectNodeCauses(await verify(silent), 409, { [silent.machineCode]: ['NOT_BOUND'] });

    const [entries] = await db.query<mysql.RowDataPacket[]>(
      "SELECT actor, details FROM audit_log WHERE account_id = ? AND action = 'binding.release'",
      [account.id],
    );
    assert.deepEqual(
      entries.map((entry) => ({ actor: String(entry.actor), details: JSON.parse(String(entry.details)) as unknown })),
      [{ actor: 'system', details: { machineCode: silent.machineCode, reason: 'silent' } }],
    );
    const [events] = await db.query<mysql.RowDataPacket[]>(
      "SELECT body FROM webhook_events WHERE account_id = ? AND type = 'binding.released'",
      [account.id],
    );
    assert.deepEqual(
      events.map((event) => (JSON.parse(String(event.body)) as { data: Record<string, unknown> }).data),
      [{ account: account.name, machineCode: silent.machineCode, reason: 'silent', sequence: 4 }],
      'announced with reason silent, after two binding.created and the account.changed',
    );
  });

  it('counts silence from the setting being set or changed, and releases nothing of accounts without it', async function () {
    nowMs = Date.now();
    const start = nowMs;
    const plain = await api.createAccount();
    await register(plain, 1);
    const account = await api.createAccount();
    await register(account, 1);
    await cli(['accounts:update', '--name', account.name, '--release-after-silent-seconds', '60']);
    const [[row]] = await db.query<mysql.RowDataPacket[]>(
      'SELECT UNIX_TIMESTAMP(release_after_silent_since) AS since FROM accounts WHERE id = ?',
      [account.id],
    );
    assert.ok(Math.abs(Number(row?.since) * 1000 - Date.now()) < 5_000, 'the change is timed');
    // As if the setting had been changed 100 s from now.
    await db.query('UPDATE accounts SET release_after_silent_since = FROM_UNIXTIME(?) WHERE id = ?', [start / 1000 + 100, account.id]);

    nowMs = start + 150_000;
    await run();
    assert.equal((await ledger(account)).length, 1, 'not yet 60 s after the change');
    nowMs = start + 161_000;
    await run();
    assert.equal((await ledger(account)).length, 0);
    nowMs = start + 3_600_000;
    await run();
    assert.equal((await ledger(plain)).length, 1, 'an account without the setting keeps its silent bindings');
  });

  it('leaves an account for the next run when Redis cannot be read, rather than judge on MySQL alone', async function () {
    nowMs = Date.now();
    const account = await api.createAccount();
    await register(account, 1);
    await cli(['accounts:update', '--name', account.name, '--release-after-silent-seconds', '60']);
    nowMs += 3_600_000;
    const target = new URL(SHARED_REDIS);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const cut = await connectRedis({
      target: { url: `redis://127.0.0.1:${String(proxy.port)}/0`, clusterNodes: [] },
      commandTimeoutMs: 300,
      name: 'silent-test',
    });
    let summary;
    try {
      proxy.cut();
      summary = await releaseSilentBindings(
        { ...worker.silentRelease, loaded: createLoadedAccounts(cut, prefix) },
        { nowSeconds: Math.floor(nowMs / 1000) },
      );
    } finally {
      cut.disconnect();
      await proxy.close();
    }
    assert.ok(summary.skipped >= 1);
    assert.equal((await ledger(account)).length, 1);
  });
});

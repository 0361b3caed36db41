import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { accountKeys } from '#shared/storage/redis/keys';
import { startPrivateRedis, type PrivateRedis } from '#shared/testing/private-redis';
import { RUN_DATABASE, RUN_KEY_PREFIX, RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { randomName, registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { privateRedisEnv, postJson, reachesBothStores, startApiProcess, type ApiProcess } from './support/api-process';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}
interface Failure {
  nodes: Array<{ causes: Array<{ code: string }> }>;
}

/**
 * The seat invariants (shared/guide/consistency.md) under concurrency: many
 * registrations for one account spread over two API processes sharing one
 * Redis and one MySQL, then the same while Redis is flushed and its
 * connections killed and MySQL connections are killed. Afterwards both
 * stores are read back.
 */
describe('POST /v1/registrations under concurrency', function () {
  this.timeout(120_000);
  let redis: PrivateRedis;
  let admin: TestApi;
  let processes: ApiProcess[];
  let db: mysql.Connection;
  let chaosRedis: Redis;

  before(async function () {
    redis = await startPrivateRedis();
    admin = await startTestApi({ REDIS_URL: redis.url });
    const env = { ...privateRedisEnv(redis.url), REDIS_COMMAND_TIMEOUT_MS: '1000' };
    processes = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    chaosRedis = new Redis(redis.url);
  });
  after(async function () {
    chaosRedis.disconnect();
    await db.end();
    await Promise.all(processes.map((api) => api.stop()));
    await admin.close();
    await redis.stop();
  });

  /** 200 single-node registrations of distinct machines, alternating between the processes, all in flight at once. */
  function registerMany(account: TestAccount, count: number) {
    const prefix = randomName('c');
    return Promise.all(
      Array.from({ length: count }, (_, index) =>
        postJson(
          `${processes[index % processes.length]?.url}/v1/registrations`,
          registrationBody(account, 1, { prefix: `${prefix}-${index}` }),
        ),
      ),
    );
  }

  async function waitUntilReady(): Promise<void> {
    for (const api of processes) {
      for (let attempt = 0; !(await reachesBothStores(api.url)); attempt++) {
        assert.ok(attempt < 100, 'the API reaches both stores again');
        await sleep(100);
      }
    }
  }

  async function ledgerMachines(account: TestAccount): Promise<Set<string>> {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT machine_code FROM bindings WHERE account_id = ?', [account.id]);
    return new Set(rows.map((row) => String(row.machine_code)));
  }

  async function redisMachines(account: TestAccount): Promise<Set<string>> {
    return new Set(await chaosRedis.hkeys(accountKeys(RUN_KEY_PREFIX, account.id).bindings));
  }

  function successesOf(results: Array<{ status: number; body: unknown }>) {
    return results
      .filter((result) => result.status === 200)
      .map((result) => (result.body as Registered).nodes[0] as Registered['nodes'][number]);
  }

  async function expectAllVerify(nodes: Registered['nodes']): Promise<void> {
    for (const [index, node] of nodes.entries()) {
      const verified = await postJson(`${processes[(index + 1) % processes.length]?.url}/v1/verifications`, {
        machineCode: node.machineCode,
        token: node.token,
      });
      assert.equal(verified.status, 200, `token of ${node.machineCode} verifies: ${JSON.stringify(verified.body)}`);
    }
  }

  it('grants exactly 50 of 200 concurrent registrations on a 50-seat account; Redis and MySQL agree', async function () {
    const account = await admin.createAccount({ maxRegistrations: 50 });
    const results = await registerMany(account, 200);
    const successes = successesOf(results);
    const refused = results.filter((result) => result.status === 409);
    const others = results.filter((result) => result.status !== 409 && result.status !== 200);
    assert.deepEqual(others.slice(0, 3), []);
    assert.equal(successes.length, 50);
    assert.equal(refused.length, 150);
    for (const result of refused) assert.equal((result.body as Failure).nodes[0]?.causes[0]?.code, 'MAX_AUTHORIZATIONS_REACHED');
    const ledger = await ledgerMachines(account);
    assert.deepEqual(ledger, new Set(successes.map((node) => node.machineCode)));
    assert.deepEqual(await redisMachines(account), ledger);
    await expectAllVerify(successes);
  });

  it('keeps seats exact across a FLUSHALL between registrations', async function () {
    const account = await admin.createAccount({ maxRegistrations: 50 });
    assert.equal(successesOf(await registerMany(account, 30)).length, 30);
    await chaosRedis.flushall();
    const after = successesOf(await registerMany(account, 40));
    assert.equal(after.length, 20);
    assert.equal((await ledgerMachines(account)).size, 50);
    assert.deepEqual(await redisMachines(account), await ledgerMachines(account));
  });

  it('never exceeds nor loses a seat while Redis is flushed and connections to both stores are killed', async function () {
    const account = await admin.createAccount({ maxRegistrations: 50 });
    const chaosOver = new AbortController();
    const chaos = (async () => {
      const killer = await mysql.createConnection({ uri: RUN_MYSQL_URL });
      try {
        for (let round = 0; !chaosOver.signal.aborted; round++) {
          await chaosRedis.flushall().catch(() => undefined);
          if (round % 10 === 0) await chaosRedis.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes').catch(() => undefined);
          if (round % 4 === 0) {
            const [rows] = await killer.query<mysql.RowDataPacket[]>(
              'SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID() AND command <> ?',
              [RUN_DATABASE, 'Sleep'],
            );
            for (const row of rows) await killer.query(`KILL ${Number(row.id)}`).catch(() => undefined);
          }
          await sleep(15);
        }
      } finally {
        await killer.end();
      }
    })();
    const results = await registerMany(account, 200);
    chaosOver.abort();
    await chaos;

    const successes = successesOf(results);
    const statuses = new Set(results.map((result) => result.status));
    assert.ok(
      [...statuses].every((status) => [200, 409, 503].includes(status)),
      `only contract statuses: ${[...statuses].join(', ')}`,
    );
    assert.ok(successes.length <= 50, `never over the limit: ${successes.length}`);
    const ledger = await ledgerMachines(account);
    assert.ok(ledger.size <= 50);
    for (const node of successes) assert.ok(ledger.has(node.machineCode), 'every success is in the ledger');
    await expectAllVerify(successes);

    // Never under: once both stores answer again, the seats that are left can all still be taken, and no more.
    await waitUntilReady();
    const rest = await registerMany(account, 80);
    assert.equal(
      successesOf(rest).length,
      50 - ledger.size,
      `the remaining seats are all usable: ${JSON.stringify(rest.filter((result) => result.status !== 200).slice(0, 2))}`,
    );
    assert.equal((await ledgerMachines(account)).size, 50);
    await postJson(`${processes[0]?.url}/v1/registrations`, registrationBody(account, 1));
    assert.deepEqual(await redisMachines(account), await ledgerMachines(account), 'Redis, once reloaded, agrees with the ledger');
  });
});

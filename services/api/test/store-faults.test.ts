import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { createLogger } from '#shared/log/logger';
import { accountKeys } from '#shared/storage/redis/keys';
import { startTcpProxy, type TcpProxy } from '#shared/testing/tcp-proxy';
import { RUN_DATABASE, RUN_MYSQL_URL, SHARED_MYSQL, SHARED_REDIS, databaseUrl } from '#shared/testing/test-environment';
import { expectNodeCauses } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

/**
 * The store failure causes, triggered for real: the API reaches Redis and
 * MariaDB through TCP proxies the test cuts or pauses, and a row lock held by
 * the test makes MySQL miss its deadline after Redis has accepted. After each
 * failure, both stores are read back: no trace of the failed request, and
 * every seat still usable.
 */
describe('store failures', function () {
  this.timeout(60_000);
  let api: TestApi;
  let redisProxy: TcpProxy;
  let mysqlProxy: TcpProxy;
  let db: mysql.Connection;
  const warnings: Array<Record<string, unknown>> = [];

  const register = (body: object) => request(api.app).post('/v1/registrations').send(body);
  const unbind = (account: TestAccount, nodes: Registered['nodes']) =>
    request(api.app)
      .post('/v1/unbindings')
      .send({
        account: account.name,
        password: account.password,
        nodes: nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
      });
  const verify = (node: Registered['nodes'][number]) =>
    request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });

  async function waitForRedis(): Promise<void> {
    for (let i = 0; i < 100 && api.deps.redis.status !== 'ready'; i++) await sleep(50);
    assert.equal(api.deps.redis.status, 'ready');
  }

  async function expectNoTrace(account: TestAccount): Promise<void> {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id = ?', [account.id]);
    assert.equal(Number(rows[0]?.n), 0, 'no binding in MySQL');
    const keys = accountKeys(api.config.redisKeyPrefix, account.id);
    assert.equal(await api.deps.redis.hlen(keys.bindings), 0, 'no binding in Redis');
  }

  /** Invariant 3: after a failure the account can still bind exactly its seats. */
  async function expectSeatsIntact(account: TestAccount, seats: number): Promise<Registered['nodes']> {
    const response = await register(registrationBody(account, seats));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    expectNodeCauses(await register(registrationBody(account, 1)), 409, { 'node-1': ['MAX_AUTHORIZATIONS_REACHED'] });
    return (response.body as Registered).nodes;
  }

  async function holdAccountRowLock(account: TestAccount): Promise<mysql.Connection> {
    const holder = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    await holder.query('START TRANSACTION');
    await holder.query('SELECT id FROM accounts WHERE id = ? FOR UPDATE', [account.id]);
    return holder;
  }

  before(async function () {
    const redisTarget = new URL(SHARED_REDIS);
    const mysqlTarget = new URL(SHARED_MYSQL);
    redisProxy = await startTcpProxy({ host: redisTarget.hostname, port: Number(redisTarget.port) });
    mysqlProxy = await startTcpProxy({ host: mysqlTarget.hostname, port: Number(mysqlTarget.port) });
    api = await startTestApi(
      {
        REDIS_URL: `redis://127.0.0.1:${redisProxy.port}/0`,
        MYSQL_URL: databaseUrl(`mysql://root@127.0.0.1:${mysqlProxy.port}/`, RUN_DATABASE),
        REDIS_COMMAND_TIMEOUT_MS: '300',
        // Pinged by the tests themselves (storeHealth.check()), not by the timer.
        STORE_PING_INTERVAL_MS: '600000',
      },
      {
        logger: createLogger({
          level: 'warn',
          name: 'store-faults',
          destination: new Writable({
            write(chunk: Buffer, _encoding, done) {
              for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
                warnings.push(JSON.parse(line) as Record<string, unknown>);
              done();
            },
          }),
        }),
      },
    );
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await api.close();
    await redisProxy.close();
    await mysqlProxy.close();
  });

  describe('REDIS_INSERT_FAILED', function () {
    /** A two-node registration sent with `headers` while the Redis connection is cut: both nodes carry the cause. */
    async function registerWhileRedisCut(account: TestAccount, headers: Record<string, string>) {
      redisProxy.cut();
      try {
        const response = await register(registrationBody(account, 2)).set(headers);
        expectNodeCauses(response, 503, {
          'node-1': ['REDIS_INSERT_FAILED'],
          'node-2': ['REDIS_INSERT_FAILED'],
        });
        return response;
      } finally {
        redisProxy.restore();
      }
    }

    it('is carried by every node when the Redis connection is cut, and nothing is bound', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      const response = await registerWhileRedisCut(account, { 'x-request-id': 'ingress-7f3a:1' });
      assert.equal(response.headers['x-request-id'], 'ingress-7f3a:1');
      // The warning logged deep in the binding store names the request it failed.
      const storeWarnings = warnings.filter((line) => line.msg === 'store failure' && line.requestId === 'ingress-7f3a:1');
      assert.ok(storeWarnings.length > 0, JSON.stringify(warnings.slice(-5)));
      await waitForRedis();
      await expectNoTrace(account);
      await expectSeatsIntact(account, 2);
    });

    it('is carried by every node of a request with an Idempotency-Key too, whose key cannot be claimed', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      await registerWhileRedisCut(account, { 'Idempotency-Key': 'retry-during-outage' });
      await waitForRedis();
      await expectNoTrace(account);
      // Nothing was kept under the key: the retry runs.
      const retried = await register(registrationBody(account, 2)).set('Idempotency-Key', 'retry-during-outage');
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
    });

    it('is carried by every node when Redis stops answering, and the late write is dropped', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      redisProxy.pause();
      try {
        expectNodeCauses(await register(registrationBody(account, 2)), 503, {
          'node-1': ['REDIS_INSERT_FAILED'],
          'node-2': ['REDIS_INSERT_FAILED'],
        });
      } finally {
        redisProxy.resume();
      }
      // The held script runs now, and the invalidation queued behind it drops what it wrote.
      await api.deps.redis.ping();
      await expectNoTrace(account);
      await expectSeatsIntact(account, 2);
    });

    it('leaves bindings as they were when an unbinding cannot reach Redis', async function () {
      const account = await api.createAccount({ maxRegistrations: 1 });
      const nodes = await expectSeatsIntact(account, 1);
      redisProxy.cut();
      try {
        expectNodeCauses(await unbind(account, nodes), 503, { 'node-1': ['REDIS_INSERT_FAILED'] });
      } finally {
        redisProxy.restore();
      }
      await waitForRedis();
      assert.equal((await verify(nodes[0] as Registered['nodes'][number])).status, 200, 'the binding survived');
    });

    it('does not stop heartbeats: verification falls back to the MySQL ledger', async function () {
      const account = await api.createAccount({ maxRegistrations: 1 });
      const [node] = await expectSeatsIntact(account, 1);
      redisProxy.cut();
      try {
        assert.equal((await verify(node as Registered['nodes'][number])).status, 200);
        // Readiness is this process's, not the stores': the pod stays in the Service and keeps answering heartbeats.
        await api.deps.storeHealth.check();
        const ready = await request(api.app).get('/readyz');
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { status: 'ready', stores: { redis: 'down', mysql: 'up' } });
        const scrape = (await request(api.app).get('/metrics')).text;
        assert.match(scrape, /^regcloud_store_up\{store="redis"\} 0$/m);
        assert.match(scrape, /^regcloud_store_up\{store="mysql"\} 1$/m);
      } finally {
        redisProxy.restore();
      }
      await waitForRedis();
      await api.deps.storeHealth.check();
      assert.match((await request(api.app).get('/metrics')).text, /^regcloud_store_up\{store="redis"\} 1$/m);
    });
  });

  describe('login throttling while Redis is away', function () {
    it('counts failed logins in the process instead of letting them all through, and the metric says so', async function () {
      const account = await api.createAccount();
      const wrong = { ...registrationBody(account, 1), password: 'not the password' };
      const limit = api.config.throttle.pair.limit;
      redisProxy.cut();
      try {
        const statuses: number[] = [];
        for (let i = 0; i < limit + 2; i++) statuses.push((await register(wrong).set('x-request-id', `fallback-${i}`)).status);
        assert.deepEqual(statuses.slice(0, limit), Array<number>(limit).fill(401), 'wrong passwords up to the limit');
        assert.deepEqual(statuses.slice(limit), [429, 429], 'then throttled, as with Redis');
        const fallback = (await api.deps.metrics.throttleFallback.get()).values[0]?.value ?? 0;
        assert.ok(fallback >= limit + 2, `every login counted by the fallback (${fallback})`);
        const named = warnings.filter((line) => String(line.msg).includes('counts in this process') && line.requestId === 'fallback-0');
        assert.ok(named.length > 0, `the fallback warning names the request: ${JSON.stringify(warnings.slice(-3))}`);
      } finally {
        redisProxy.restore();
      }
      await waitForRedis();
    });
  });

  describe('MYSQL_UPDATE_FAILED', function () {
    it('is carried by every node when the MySQL connection is cut, and nothing is bound', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      mysqlProxy.cut();
      try {
        expectNodeCauses(await register(registrationBody(account, 2)), 503, {
          'node-1': ['MYSQL_UPDATE_FAILED'],
          'node-2': ['MYSQL_UPDATE_FAILED'],
        });
        // Still ready while MySQL is cut; the gauge tells the operator instead.
        await api.deps.storeHealth.check();
        const ready = await request(api.app).get('/readyz');
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { status: 'ready', stores: { redis: 'up', mysql: 'down' } });
        assert.match((await request(api.app).get('/metrics')).text, /^regcloud_store_up\{store="mysql"\} 0$/m);
      } finally {
        mysqlProxy.restore();
      }
      await expectNoTrace(account);
      await expectSeatsIntact(account, 2);
    });

    it('undoes the Redis write when MySQL misses its deadline after Redis accepted', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      const holder = await holdAccountRowLock(account);
      try {
        expectNodeCauses(await register(registrationBody(account, 2)), 503, {
          'node-1': ['MYSQL_UPDATE_FAILED'],
          'node-2': ['MYSQL_UPDATE_FAILED'],
        });
        await expectNoTrace(account);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      await expectSeatsIntact(account, 2);
    });

    it('leaves bindings as they were when an unbinding cannot commit', async function () {
      const account = await api.createAccount({ maxRegistrations: 1 });
      const nodes = await expectSeatsIntact(account, 1);
      const holder = await holdAccountRowLock(account);
      try {
        expectNodeCauses(await unbind(account, nodes), 503, { 'node-1': ['MYSQL_UPDATE_FAILED'] });
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      assert.equal((await verify(nodes[0] as Registered['nodes'][number])).status, 200, 'the binding survived');
      expectNodeCauses(await register(registrationBody(account, 1)), 409, { 'node-1': ['MAX_AUTHORIZATIONS_REACHED'] });
    });
  });
});

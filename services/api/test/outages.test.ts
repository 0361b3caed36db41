import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import type { RedisClient } from '#shared/storage/redis/client';
import { accountKeys } from '#shared/storage/redis/keys';
import { migrate } from '#shared/storage/mysql/migrate';
import { expectMatchesNodeOpenApi } from '#shared/testing/node-openapi';
import { startPrivateMariadb, type PrivateMariadb } from '#shared/testing/private-mariadb';
import { startPrivateRedis, type PrivateRedis } from '#shared/testing/private-redis';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL, databaseUrl, testConfig } from '#shared/testing/test-environment';
import { randomName, registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { createWorkerDeps } from '../../worker/src/deps';
import { reconcilePass } from '../../worker/test/support/test-worker';
import { privateRedisEnv, reachesBothStores, startApiProcess, type ApiProcess } from './support/api-process';

interface Node {
  nodeId: string;
  machineCode: string;
  token: string;
}
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}
interface Sent {
  account: TestAccount;
  answer: Answer | null;
}

const SEATS = 8;
/** More machines than seats, so the storm both binds, re-registers and is refused for seats. */
const MACHINES_PER_ACCOUNT = 12;

async function post(url: string, body: unknown): Promise<Answer | null> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: Object.fromEntries(response.headers), body: JSON.parse(text) as unknown };
  } catch {
    // A process killed mid-request answers nothing; that is not an answer to check.
    return null;
  }
}

const nodesOf = (answer: Answer) => (answer.body as { nodes: Node[] }).nodes;
const codesOf = (answer: Answer) =>
  (answer.body as { nodes?: Array<{ causes?: Array<{ code: string }> }> }).nodes?.flatMap(
    (node) => node.causes?.map((cause) => cause.code) ?? [],
  ) ?? [];

/**
 * Registrations from `clients` concurrent clients for `durationMs`, each a
 * cluster of one to three of an account's machines, spread over the API
 * processes `urls()` names at the time of each request.
 */
async function storm(options: {
  urls: () => string[];
  accounts: readonly TestAccount[];
  clients: number;
  durationMs: number;
}): Promise<Sent[]> {
  const sent: Sent[] = [];
  const deadline = Date.now() + options.durationMs;
  let counter = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (Date.now() < deadline) {
        const n = counter++;
        const account = options.accounts[n % options.accounts.length] as TestAccount;
        const size = 1 + (n % 3);
        const first = (n * 7) % MACHINES_PER_ACCOUNT;
        const body = registrationBody(account, size, { prefix: 'm' });
        body.nodes.forEach((node, index) => {
          node.machineCode = `m-${String((first + index) % MACHINES_PER_ACCOUNT)}`;
        });
        const urls = options.urls();
        const answer = await post(`${urls[n % urls.length] ?? ''}/v1/registrations`, body);
        sent.push({ account, answer });
        if (!answer) await sleep(20);
      }
    }),
  );
  return sent;
}

/** Every answer is one the contract describes; a 503 names the store that failed on every node. */
function expectContractAnswers(sent: readonly Sent[], storeCause: string): Answer[] {
  const answers = sent.flatMap(({ answer }) => (answer ? [answer] : []));
  for (const answer of answers) {
    assert.ok([200, 409, 503].includes(answer.status), `a contract status, not ${String(answer.status)}: ${JSON.stringify(answer.body)}`);
    expectMatchesNodeOpenApi('post', '/v1/registrations', answer);
    if (answer.status === 503)
      assert.ok(
        codesOf(answer).every((code) => code === storeCause),
        JSON.stringify(answer.body),
      );
  }
  return answers;
}

async function waitUntilReady(urls: readonly string[]): Promise<void> {
  for (const url of urls) {
    for (let attempt = 0; ; attempt++) {
      // /readyz stays 200 through a store outage: its `stores` field says when both answer again.
      if (await reachesBothStores(url)) break;
      assert.ok(attempt < 200, `${url} reaches both stores again`);
      await sleep(100);
    }
  }
}

/**
 * Real outages (issue "survival of real outages"): a private redis-server or
 * mariadbd process stopped and started again in the middle of a registration
 * storm over two API processes, and an API process SIGKILLed mid-storm.
 * Afterwards: no account past its seats, every binding Redis holds is in the
 * ledger, and every node a success named verifies. Long: set SKIP_LONG_TESTS=1
 * to leave it out locally; CI runs it.
 */
describe('outages of real store and API processes', function () {
  this.timeout(180_000);
  before(function () {
    if (process.env.SKIP_LONG_TESTS === '1') this.skip();
  });

  async function ledgerMachines(db: mysql.Connection, account: TestAccount): Promise<Map<string, string>> {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT machine_code, nonce FROM bindings WHERE account_id = ?', [account.id]);
    return new Map(rows.map((row) => [String(row.machine_code), String(row.nonce)]));
  }

  async function expectSeatInvariants(options: {
    db: mysql.Connection;
    redis: RedisClient;
    prefix: string;
    accounts: readonly TestAccount[];
    verifyUrl: string;
    answers: readonly Answer[];
  }): Promise<void> {
    for (const account of options.accounts) {
      const ledger = await ledgerMachines(options.db, account);
      assert.ok(ledger.size <= SEATS, `${account.name} holds ${String(ledger.size)} of ${String(SEATS)} seats`);
      const inRedis = await options.redis.hkeys(accountKeys(options.prefix, account.id).bindings);
      for (const machine of inRedis) assert.ok(ledger.has(machine), `${machine} of ${account.name} is in Redis only`);
    }
    const latest = new Map<string, Node>();
    for (const answer of options.answers.filter((candidate) => candidate.status === 200)) {
      const account = (answer.body as { account?: string }).account ?? '';
      for (const node of nodesOf(answer)) latest.set(`${account}/${node.machineCode}`, node);
    }
    for (const [name, node] of latest) {
      const verified = await post(`${options.verifyUrl}/v1/verifications`, { machineCode: node.machineCode, token: node.token });
      assert.equal(verified?.status, 200, `${name} of a success verifies: ${JSON.stringify(verified?.body)}`);
    }
  }

  it('Redis stopped mid-storm and started empty: contract answers only, seats exact, every success verifies', async function () {
    const redis: PrivateRedis = await startPrivateRedis();
    const admin: TestApi = await startTestApi({ REDIS_URL: redis.url });
    const db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    const reader = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const env = { ...privateRedisEnv(redis.url), REDIS_COMMAND_TIMEOUT_MS: '500' };
    const processes: ApiProcess[] = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    try {
      const accounts = await Promise.all(Array.from({ length: 4 }, () => admin.createAccount({ maxRegistrations: SEATS })));
      const urls = processes.map((api) => api.url);
      const outage = (async () => {
        await sleep(1_500);
        await redis.kill();
        await sleep(2_000);
        await redis.restart();
      })();
      const sent = await storm({ urls: () => urls, accounts, clients: 8, durationMs: 7_000 });
      await outage;
      const answers = expectContractAnswers(sent, 'REDIS_INSERT_FAILED');
      assert.ok(
        answers.some((answer) => answer.status === 503),
        'the outage was seen',
      );
      assert.ok(answers.filter((answer) => answer.status === 200).length > 10, 'registrations succeeded around it');
      await waitUntilReady(urls);
      await reader.connect();
      await expectSeatInvariants({ db, redis: reader, prefix: RUN_KEY_PREFIX, accounts, verifyUrl: urls[1] ?? '', answers });
    } finally {
      reader.disconnect();
      await Promise.all(processes.map((api) => api.stop()));
      await db.end();
      await admin.close();
      await redis.stop();
    }
  });

  it('MariaDB stopped mid-storm: MYSQL_UPDATE_FAILED for what was in flight, heartbeats answered from Redis, nothing in Redis the ledger lacks after the worker ran', async function () {
    const mariadb: PrivateMariadb = await startPrivateMariadb();
    const redis: PrivateRedis = await startPrivateRedis();
    const mysqlUrl = databaseUrl(mariadb.url, 'regcloud_outage');
    const setup = await mysql.createConnection({ uri: mariadb.url });
    await setup.query('CREATE DATABASE regcloud_outage');
    await setup.end();
    await migrate(mysqlUrl);
    const prefix = `${randomName('o')}:`;
    const overrides = { MYSQL_URL: mysqlUrl, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
    const admin: TestApi = await startTestApi(overrides);
    const env = {
      ...overrides,
      BCRYPT_COST: '4',
      MIGRATE_ON_START: 'false',
      SEED_DEMO_ACCOUNT: 'false',
      REDIS_COMMAND_TIMEOUT_MS: '500',
    };
    const processes: ApiProcess[] = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    const reader = new Redis(redis.url);
    try {
      const accounts = await Promise.all(Array.from({ length: 4 }, () => admin.createAccount({ maxRegistrations: SEATS })));
      const urls = processes.map((api) => api.url);
      const bound: Node[] = [];
      for (const account of accounts) {
        const answer = await post(`${urls[0] ?? ''}/v1/registrations`, registrationBody(account, 2, { prefix: 'bound' }));
        assert.equal(answer?.status, 200);
        bound.push(...nodesOf(answer));
      }

      const heartbeats: Answer[] = [];
      let isDown = false;
      const outage = (async () => {
        await sleep(1_500);
        await mariadb.kill();
        isDown = true;
        // Heartbeats of bound nodes while MySQL is gone: Redis answers them.
        const until = Date.now() + 2_000;
        while (Date.now() < until) {
          for (const [index, node] of bound.entries()) {
            const answer = await post(`${urls[index % urls.length] ?? ''}/v1/verifications`, {
              machineCode: node.machineCode,
              token: node.token,
            });
            if (answer) heartbeats.push(answer);
          }
        }
        await mariadb.restart();
        isDown = false;
      })();
      const sent = await storm({ urls: () => urls, accounts, clients: 6, durationMs: 6_000 });
      await outage;
      assert.equal(isDown, false);

      const answers = expectContractAnswers(sent, 'MYSQL_UPDATE_FAILED');
      assert.ok(
        answers.some((answer) => codesOf(answer).includes('MYSQL_UPDATE_FAILED')),
        'the outage was seen',
      );
      assert.ok(heartbeats.length >= bound.length, 'heartbeats were sent during the outage');
      for (const answer of heartbeats) assert.equal(answer.status, 200, `a heartbeat during the outage: ${JSON.stringify(answer.body)}`);

      await waitUntilReady(urls);
      const worker = await createWorkerDeps(testConfig(overrides));
      try {
        await reconcilePass(worker.reconcile);
      } finally {
        await worker.close();
      }
      const db = await mysql.createConnection({ uri: mysqlUrl });
      try {
        await expectSeatInvariants({ db, redis: reader, prefix, accounts, verifyUrl: urls[1] ?? '', answers });
      } finally {
        await db.end();
      }
    } finally {
      reader.disconnect();
      await Promise.all(processes.map((api) => api.stop()));
      await admin.close();
      await redis.stop();
      await mariadb.stop();
    }
  });

  it('an API process SIGKILLed mid-registration leaves no half-written binding: every ledger binding is served, Redis holds nothing else', async function () {
    const prefix = `${RUN_KEY_PREFIX}${randomName('k')}:`;
    const admin: TestApi = await startTestApi({ REDIS_KEY_PREFIX: prefix });
    const env = {
      MYSQL_URL: RUN_MYSQL_URL,
      REDIS_URL: admin.config.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      BCRYPT_COST: '4',
      MIGRATE_ON_START: 'false',
      SEED_DEMO_ACCOUNT: 'false',
    };
    let current: ApiProcess = await startApiProcess(env);
    const db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    try {
      const accounts = await Promise.all(Array.from({ length: 3 }, () => admin.createAccount({ maxRegistrations: SEATS })));
      const crash = (async () => {
        await sleep(1_000);
        await current.kill();
        current = await startApiProcess(env);
      })();
      const sent = await storm({ urls: () => [current.url], accounts, clients: 8, durationMs: 4_000 });
      await crash;
      const answers = expectContractAnswers(sent, 'none');
      assert.ok(
        sent.some(({ answer }) => answer === null),
        'some requests died with the process',
      );
      await expectSeatInvariants({ db, redis: admin.deps.redis, prefix, accounts, verifyUrl: current.url, answers });
      for (const account of accounts) {
        for (const [machineCode, nonce] of await ledgerMachines(db, account)) {
          const token = admin.deps.context.tokens.derive(account.id, nonce, machineCode);
          const verified = await post(`${current.url}/v1/verifications`, { machineCode, token });
          assert.equal(verified?.status, 200, `${machineCode} of ${account.name}, bound in the ledger, is served`);
        }
      }
    } finally {
      await current.stop();
      await db.end();
      await admin.close();
    }
  });
});

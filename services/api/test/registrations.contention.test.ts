import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { accountKeys } from '#shared/storage/redis/keys';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL, SHARED_REDIS } from '#shared/testing/test-environment';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';
import { postJson, runStoresEnv, startApiProcess, type ApiProcess } from './support/api-process';

/**
 * Contention is not a fault: clients registering and unbinding the same
 * machines of one account on two API processes for 15 s get only the
 * contract's answers for that (200, and 409 with MAX_AUTHORIZATIONS_REACHED
 * or NOT_BOUND), never a 500 or a store cause, since no store failed; and the
 * seats come out exact.
 */
describe('registrations and unbindings contending for one account', function () {
  this.timeout(90_000);
  const CLIENTS = 18;
  const DURATION_MS = 15_000;
  const SEATS = 4;
  const MACHINES = 7;
  let admin: TestApi;
  let processes: ApiProcess[];
  let db: mysql.Connection;
  let redis: Redis;

  before(async function () {
    admin = await startTestApi();
    processes = await Promise.all([startApiProcess(runStoresEnv()), startApiProcess(runStoresEnv())]);
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    redis = new Redis(SHARED_REDIS);
  });
  after(async function () {
    redis.disconnect();
    await db.end();
    await Promise.all(processes.map((api) => api.stop()));
    await admin.close();
  });

  it(`answers ${CLIENTS} clients for 15 s with no 500 and no store cause, and keeps the seats exact`, async function () {
    const account = await admin.createAccount({ maxRegistrations: SEATS });
    const machine = (index: number) => `contended-${account.id}-${index}`;
    const pick = () => {
      const count = 1 + Math.floor(Math.random() * 3);
      const picked = new Set<number>();
      while (picked.size < count) picked.add(Math.floor(Math.random() * MACHINES));
      return [...picked];
    };
    const seen = new Map<string, number>();
    const deadline = Date.now() + DURATION_MS;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const url = processes[client % processes.length]?.url as string;
        while (Date.now() < deadline) {
          const picked = pick();
          const isRegistration = Math.random() < 0.6;
          const body = isRegistration
            ? registrationBody(account, picked.length, { node: (i) => ({ machineCode: machine(picked[i] as number) }) })
            : {
                account: account.name,
                password: account.password,
                nodes: picked.map((m, i) => ({ nodeId: `node-${i + 1}`, machineCode: machine(m) })),
              };
          const answer = await postJson(`${url}/v1/${isRegistration ? 'registrations' : 'unbindings'}`, body);
          const codes = JSON.stringify(answer.body).match(/"code":"[A-Z_]+"/g) ?? [];
          const key = `${answer.status} ${[...new Set(codes)].sort().join(',')}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }),
    );

    const allowed = new Set(['200 ', '409 "code":"MAX_AUTHORIZATIONS_REACHED"', '409 "code":"NOT_BOUND"']);
    const wrong = [...seen].filter(([key]) => !allowed.has(key));
    assert.deepEqual(wrong, [], `answers seen: ${JSON.stringify([...seen])}`);
    assert.ok((seen.get('200 ') ?? 0) > 100, `enough work got done: ${JSON.stringify([...seen])}`);

    // Both stores agree and exactly the remaining seats can still be taken.
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT machine_code FROM bindings WHERE account_id = ?', [account.id]);
    assert.ok(rows.length <= SEATS);
    const keys = accountKeys(RUN_KEY_PREFIX, account.id);
    if ((await redis.exists(keys.state)) === 1) {
      assert.deepEqual((await redis.hkeys(keys.bindings)).sort(), rows.map((row) => String(row.machine_code)).sort());
    }
    const free = SEATS - rows.length;
    assert.equal((await postJson(`${processes[0]?.url}/v1/registrations`, registrationBody(account, free + 1))).status, 409);
    if (free > 0) assert.equal((await postJson(`${processes[1]?.url}/v1/registrations`, registrationBody(account, free))).status, 200);
    assert.equal((await postJson(`${processes[1]?.url}/v1/registrations`, registrationBody(account, 1))).status, 409);
  });
});

import assert from 'node:assert/strict';
import request from 'supertest';
import mysql from 'mysql2/promise';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { idempotencyKey } from '#shared/storage/redis/keys';
import { expectFallback, expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { randomName, registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';

interface Registered {
  used: number;
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

describe('Idempotency-Key (contract v1.1)', function () {
  let api: TestApi;
  let db: mysql.Connection;
  const post = (path: string, body: object | string, key?: string | string[]) => {
    const call = request(api.app).post(path).set('Content-Type', 'application/json');
    // An array reaches Node's setHeader as is, which sends one header line per value.
    return (key === undefined ? call : call.set('Idempotency-Key', key as string)).send(body);
  };
  const register = (body: object | string, key?: string | string[]) => post('/v1/registrations', body, key);
  const unbind = (body: object, key?: string) => post('/v1/unbindings', body, key);
  const ledgerCount = async (account: TestAccount) => {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id = ?', [account.id]);
    return Number(rows[0]?.n);
  };
  const unbindingOf = (account: TestAccount, body: ReturnType<typeof registrationBody>) => ({
    account: account.name,
    password: account.password,
    nodes: body.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
  });

  before(async function () {
    // One compare per account at a time, so a test can hold a request in flight at the password check.
    api = await startTestApi({ LOGIN_COMPARES_PER_ACCOUNT: '1' });
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await api.close();
  });

  describe('replay', function () {
    it('answers the first registration again, marked, changing nothing, and keeps no token', async function () {
      const account = await api.createAccount();
      const body = registrationBody(account, 2);
      const key = randomName('key');
      const first = await register(body, key);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.headers['idempotent-replayed'], undefined);
      // Unbound in between: a replay that ran again would bind the machines again.
      assert.equal((await unbind(unbindingOf(account, body))).status, 200);

      const again = await register(body, key);
      assert.equal(again.status, 200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.text, first.text, 'the same body, tokens derived again');
      assert.equal(await ledgerCount(account), 0, 'the replay bound nothing');

      const kept = await api.deps.redis.get(
        idempotencyKey(api.config.redisKeyPrefix, { path: '/v1/registrations', account: account.name, key }),
      );
      assert.ok(kept);
      for (const node of (first.body as Registered).nodes) assert.ok(!kept.includes(node.token), 'no token kept in clear');
      assert.ok(!kept.includes(account.password), 'no password kept');
    });

    it('treats bodies differing only in whitespace and key order as the same', async function () {
      const account = await api.createAccount();
      const body = registrationBody(account, 1);
      const key = randomName('key');
      const first = await register(JSON.stringify(body), key);
      assert.equal(first.status, 200);
      const node: Record<string, unknown> = { ...body.nodes[0] };
      const reordered = `{ "nodes" : [ ${JSON.stringify(Object.fromEntries(Object.entries(node).reverse()), null, 2)} ],
        "appVersion": "${body.appVersion}", "password": ${JSON.stringify(body.password)}, "account": "${body.account}" }`;
      const again = await register(reordered, key);
      assert.equal(again.status, 200);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.body, first.body);
    });

    it('keeps a 409 with node causes and replays it', async function () {
      const account = await api.createAccount({ maxRegistrations: 1 });
      const body = registrationBody(account, 2);
      const key = randomName('key');
      const first = await register(body, key);
      expectNodeCauses(first, 409, { 'node-2': ['MAX_AUTHORIZATIONS_REACHED'] });
      const again = await register(body, key);
      expectNodeCauses(again, 409, { 'node-2': ['MAX_AUTHORIZATIONS_REACHED'] });
      assert.equal(again.headers['idempotent-replayed'], 'true');
    });

    it('replays an unbinding, and scopes keys by path and account', async function () {
      const account = await api.createAccount();
      const body = registrationBody(account, 1);
      const key = randomName('key');
      assert.equal((await register(body, key)).status, 200);
      const first = await unbind(unbindingOf(account, body), key);
      assert.equal(first.status, 200, 'the same key on another path is another key');
      assert.equal(first.headers['idempotent-replayed'], undefined);
      assert.equal((await register(body)).status, 200);
      const again = await unbind(unbindingOf(account, body), key);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.body, first.body);
      assert.equal(await ledgerCount(account), 1, 'the replayed unbinding unbound nothing');

      const other = await api.createAccount();
      const response = await register(registrationBody(other, 1), key);
      assert.equal(response.status, 200);
      assert.equal(response.headers['idempotent-replayed'], undefined, 'another account has its own keys');
    });
  });

  describe('refusals', function () {
    it('answers 422 with the fallback cause for the same key and another body', async function () {
      const account = await api.createAccount();
      const key = randomName('key');
      assert.equal((await register(registrationBody(account, 1), key)).status, 200);
      expectFallback(await register(registrationBody(account, 1), key), 422);
      assert.equal(await ledgerCount(account), 1);
    });

    /** Sends `body` with `key` and holds it at the password check, the key claimed; `open` lets it go on. */
    async function holdInFlight(account: TestAccount, body: object, key: string) {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const holding = api.deps.context.loginCompares.run(account.name, () => gate);
      const first = register(body, key).then((response) => response);
      for (let i = 0; i < 100; i++) {
        const claimed = await api.deps.redis.exists(
          idempotencyKey(api.config.redisKeyPrefix, { path: '/v1/registrations', account: account.name, key }),
        );
        if (claimed === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return {
        async open() {
          open();
          await holding;
          return first;
        },
      };
    }

    it('answers 409 with the fallback cause while the first request is in flight', async function () {
      const account = await api.createAccount();
      const body = registrationBody(account, 1);
      const key = randomName('key');
      const first = await holdInFlight(account, body, key);
      expectFallback(await register(body, key), 409);
      expectFallback(await register(registrationBody(account, 1), key), 409);
      const answered = await first.open();
      assert.equal(answered.status, 200);
      assert.equal(answered.headers['idempotent-replayed'], undefined);
      assert.equal(await ledgerCount(account), 1);
    });

    it('holds a claim for 120 s and an answer for 24 h; once that has expired, the key runs again', async function () {
      const account = await api.createAccount();
      const body = registrationBody(account, 1);
      const key = randomName('key');
      const stored = idempotencyKey(api.config.redisKeyPrefix, { path: '/v1/registrations', account: account.name, key });
      const first = await holdInFlight(account, body, key);
      const claimTtl = await api.deps.redis.ttl(stored);
      assert.ok(claimTtl > 100 && claimTtl <= 120, String(claimTtl));
      assert.equal((await first.open()).status, 200);
      const keptTtl = await api.deps.redis.ttl(stored);
      assert.ok(keptTtl > 86_300 && keptTtl <= 86_400, String(keptTtl));
      await api.deps.redis.del(stored);
      const again = await register(registrationBody(account, 1, { prefix: 'later' }), key);
      assert.equal(again.status, 200);
      assert.equal(again.headers['idempotent-replayed'], undefined);
      assert.equal(await ledgerCount(account), 2);
    });

    it("marks a dry run's 409 and 422 as a dry run, as every answer it gets", async function () {
      const account = await api.createAccount();
      const body = { ...registrationBody(account, 1), dryRun: true };
      const key = randomName('key');
      const first = await holdInFlight(account, body, key);
      expectFallback(await register(body, key), 409, { isDryRun: true });
      assert.equal((await first.open()).status, 200);
      expectFallback(await register({ ...registrationBody(account, 1), dryRun: true }, key), 422, { isDryRun: true });
      expectFallback(await register(registrationBody(account, 1), key), 422);
    });

    it('keeps no 401: a retry runs again', async function () {
      const account = await api.createAccount();
      const body = registrationBody(account, 1);
      const key = randomName('key');
      expectOverall(await register({ ...body, password: 'wrong' }, key), 401, ['UNAUTHORIZED_ACCOUNT']);
      const retried = await register({ ...body, password: 'wrong' }, key);
      expectOverall(retried, 401, ['UNAUTHORIZED_ACCOUNT']);
      assert.equal(retried.headers['idempotent-replayed'], undefined);
      const right = await register(body, key);
      assert.equal(right.status, 200, 'the key is free for the corrected request');
      assert.equal(right.headers['idempotent-replayed'], undefined);
    });

    it('refuses a bad key as INCORRECT_PARAMETER naming Idempotency-Key, after the format check', async function () {
      const account = await api.createAccount();
      const body = registrationBody(account, 1);
      for (const key of ['', 'x'.repeat(256), 'with space', 'tab\tkey', 'caf\xe9', ['one', 'two']]) {
        const response = await register(body, key);
        expectOverall(response, 400, ['INCORRECT_PARAMETER']);
        assert.deepEqual(
          (response.body as { overall: Array<{ details?: unknown }> }).overall[0]?.details,
          { field: 'Idempotency-Key' },
          String(key),
        );
        expectOverall(await unbind(unbindingOf(account, body), key as string), 400, ['INCORRECT_PARAMETER']);
      }
      assert.equal((await register(body, 'x'.repeat(255))).status, 200, '255 visible characters are a key');
      expectOverall(await register({ ...body, nodes: 'none' }, ''), 400, ['INCORRECT_DATA_FORMAT']);
      assert.equal(await ledgerCount(account), 1);
    });
  });

  it('binds once for 50 concurrent retries of one registration with one key', async function () {
    const account = await api.createAccount({ maxRegistrations: 50 });
    const body = registrationBody(account, 3);
    const key = randomName('key');
    const [revisionBefore] = await db.query<mysql.RowDataPacket[]>('SELECT revision FROM accounts WHERE id = ?', [account.id]);
    const responses = await Promise.all(Array.from({ length: 50 }, () => register(body, key)));
    const ran = responses.filter((response) => response.status === 200 && response.headers['idempotent-replayed'] === undefined);
    assert.equal(ran.length, 1, 'exactly one ran');
    for (const response of responses) {
      if (response.status === 409) expectFallback(response, 409);
      else assert.equal(response.text, ran[0]?.text);
    }
    const replay = await register(body, key);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.text, ran[0]?.text);
    assert.equal(await ledgerCount(account), 3);
    const [revisionAfter] = await db.query<mysql.RowDataPacket[]>('SELECT revision FROM accounts WHERE id = ?', [account.id]);
    assert.equal(Number(revisionAfter[0]?.revision), Number(revisionBefore[0]?.revision) + 1, 'one commit');
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import type { Attempt } from '#shared/domain/attempt';
import { createAttempts, type Attempts } from '#shared/storage/mysql/attempts';
import { InvalidCursor } from '#shared/storage/mysql/cursor';
import { expectFallback, expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

/**
 * The attempts support reads: what each registration and unbinding of a
 * known account was answered, recorded off the request's path, read back
 * through the storage module the admin routes use and as raw rows.
 * Addresses come from a block of this run's own, so the failures here count
 * towards no other test's throttling.
 */
describe('attempts of registrations and unbindings', function () {
  const block = `2001:db8:${randomBytes(2).toString('hex')}`;
  const address = (n = 1) => `${block}::${n.toString(16)}`;
  let api: TestApi;
  let attempts: Attempts;

  const register = (body: object, from = address()) => request(api.app).post('/v1/registrations').set('X-Forwarded-For', from).send(body);
  const unbind = (account: TestAccount, nodes: Array<{ nodeId: string; machineCode: string }>, password = account.password) =>
    request(api.app).post('/v1/unbindings').set('X-Forwarded-For', address()).send({ account: account.name, password, nodes });

  async function attemptsOf(account: TestAccount, on = api): Promise<Attempt[]> {
    await on.deps.attempts.flush();
    return (await attempts.list(account.id, { limit: 500 })).items;
  }

  async function rawRows(on: TestApi, accountId?: number): Promise<RowDataPacket[]> {
    const [rows] = await on.deps.pool.query<RowDataPacket[]>(
      `SELECT * FROM attempts ${accountId === undefined ? '' : 'WHERE account_id = ?'} ORDER BY id DESC`,
      accountId === undefined ? [] : [accountId],
    );
    return rows;
  }

  before(async function () {
    api = await startTestApi({ TRUST_PROXY: 'loopback' });
    attempts = createAttempts(api.deps.pool, { ...api.config.attempts, now: () => new Date() });
  });
  after(async function () {
    await api.close();
  });

  it('keeps a refused registration with its node causes, status 409, the source address and the request id of the answer', async function () {
    const account = await api.createAccount({ allowedIps: ['198.51.100.0/24'] });
    const body = registrationBody(account, 2, { node: (index) => ({ ip: index === 0 ? '198.51.100.7' : '203.0.113.7' }) });
    const startedAt = Date.now();
    const response = await register(body, address(7));
    expectNodeCauses(response, 409, { 'node-2': ['IP_NOT_ALLOWED'] });

    const [attempt, ...older] = await attemptsOf(account);
    assert.deepEqual(older, []);
    assert.ok(attempt);
    assert.match(attempt.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(attempt.at) >= startedAt - 1 && Date.parse(attempt.at) <= Date.now(), attempt.at);
    assert.deepEqual(attempt, {
      at: attempt.at,
      kind: 'registration',
      result: 'failure',
      status: 409,
      overall: [],
      nodes: [{ nodeId: 'node-2', machineCode: body.nodes[1]?.machineCode, causes: ['IP_NOT_ALLOWED'] }],
      sourceAddress: address(7),
      requestId: response.headers['x-request-id'],
    });
  });

  it('keeps the longest request id it honours, and the attempts written beside it', async function () {
    const account = await api.createAccount();
    const requestId = 'r'.repeat(128);
    const long = await register(registrationBody(account, 1, { prefix: 'long' })).set('X-Request-Id', requestId);
    assert.equal(long.headers['x-request-id'], requestId);
    assert.equal((await register(registrationBody(account, 1, { prefix: 'plain' }))).status, 200);
    const kept = await attemptsOf(account);
    assert.equal(kept.length, 2, 'one batch holds both: neither is lost');
    assert.ok(kept.some((attempt) => attempt.requestId === requestId));
  });

  it('keeps account causes as they were answered: overall codes and no nodes (display rule 2)', async function () {
    const account = await api.createAccount({ expiresAt: '2019-02-22', allowedIps: ['198.51.100.0/24'] });
    const response = await register(registrationBody(account, 1, { appVersion: '10.0' }));
    expectOverall(response, 403, ['VERSION_MISMATCH', 'EXPIRED_CERTIFICATE']);
    const [attempt] = await attemptsOf(account);
    assert.deepEqual(
      { status: attempt?.status, result: attempt?.result, overall: attempt?.overall, nodes: attempt?.nodes },
      { status: 403, result: 'failure', overall: ['VERSION_MISMATCH', 'EXPIRED_CERTIFICATE'], nodes: [] },
    );
  });

  it('keeps a success with its nodes and empty causes, and no token anywhere in the stored row', async function () {
    const account = await api.createAccount();
    const body = registrationBody(account, 2);
    const response = await register(body);
    assert.equal(response.status, 200);
    const { nodes } = response.body as Registered;

    const [attempt] = await attemptsOf(account);
    assert.deepEqual(
      { result: attempt?.result, status: attempt?.status, overall: attempt?.overall, nodes: attempt?.nodes, requestId: attempt?.requestId },
      {
        result: 'success',
        status: 200,
        overall: [],
        nodes: nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode, causes: [] })),
        requestId: response.headers['x-request-id'],
      },
    );
    const stored = JSON.stringify(await rawRows(api, account.id));
    for (const { token } of nodes) assert.ok(!stored.includes(token), 'no token is stored');
    assert.ok(!stored.includes(account.password), 'no password is stored');
  });

  it('keeps a wrong password as credentials failed, and never the password', async function () {
    const account = await api.createAccount();
    const wrong = `wrong-${randomBytes(9).toString('base64url')}`;
    expectOverall(await register({ ...registrationBody(account, 1), password: wrong }), 401, ['UNAUTHORIZED_ACCOUNT']);
    expectOverall(await unbind(account, [{ nodeId: 'node-1', machineCode: 'M-1' }], wrong), 401, ['UNAUTHORIZED_ACCOUNT']);
    assert.equal((await register(registrationBody(account, 1))).status, 200);

    const kept = await attemptsOf(account);
    assert.deepEqual(
      kept.map(({ kind, status, overall, nodes }) => ({ kind, status, overall, nodes: nodes.length })),
      [
        { kind: 'registration', status: 200, overall: [], nodes: 1 },
        { kind: 'unbinding', status: 401, overall: ['UNAUTHORIZED_ACCOUNT'], nodes: 0 },
        { kind: 'registration', status: 401, overall: ['UNAUTHORIZED_ACCOUNT'], nodes: 0 },
      ],
    );
    const rows = await rawRows(api, account.id);
    assert.deepEqual(
      rows.map((row) => Number(row.credentials_passed)),
      [1, 0, 0],
    );
    const everything = JSON.stringify(await rawRows(api));
    assert.ok(!everything.includes(wrong), 'the wrong password is nowhere in the table');
    assert.ok(!everything.includes(account.password), 'nor the right one');
  });

  it('keeps unbindings: a success with its nodes, and NOT_BOUND nodes of a partial one', async function () {
    const account = await api.createAccount();
    const registered = await register(registrationBody(account, 2));
    const [first, second] = (registered.body as Registered).nodes;
    assert.ok(first && second);
    const partial = await unbind(account, [
      { nodeId: first.nodeId, machineCode: first.machineCode },
      { nodeId: 'stranger', machineCode: 'never-bound' },
    ]);
    expectNodeCauses(partial, 409, { stranger: ['NOT_BOUND'] });
    const last = await unbind(account, [{ nodeId: second.nodeId, machineCode: second.machineCode }]);
    assert.equal(last.status, 200);

    const kept = await attemptsOf(account);
    assert.deepEqual(
      kept.map(({ kind, result, status, nodes, requestId }) => ({ kind, result, status, nodes, requestId })),
      [
        {
          kind: 'unbinding',
          result: 'success',
          status: 200,
          nodes: [{ nodeId: second.nodeId, machineCode: second.machineCode, causes: [] }],
          requestId: last.headers['x-request-id'],
        },
        {
          kind: 'unbinding',
          result: 'failure',
          status: 409,
          nodes: [{ nodeId: 'stranger', machineCode: 'never-bound', causes: ['NOT_BOUND'] }],
          requestId: partial.headers['x-request-id'],
        },
        {
          kind: 'registration',
          result: 'success',
          status: 200,
          nodes: [first, second].map(({ nodeId, machineCode }) => ({ nodeId, machineCode, causes: [] })),
          requestId: registered.headers['x-request-id'],
        },
      ],
    );
  });

  it('keeps an unexpected error after the password check as the fallback answer, HTTP 500, with its request id', async function () {
    const account = await api.createAccount();
    const { context } = api.deps;
    const { bindingStore } = context;
    // A bug where no store failed: nothing in the stores answers like this on purpose.
    context.bindingStore = { ...bindingStore, bind: () => Promise.reject(new Error('a bug')) };
    let response;
    try {
      response = await register(registrationBody(account, 1));
    } finally {
      context.bindingStore = bindingStore;
    }
    expectFallback(response, 500);
    const [attempt] = await attemptsOf(account);
    assert.deepEqual(
      { result: attempt?.result, status: attempt?.status, overall: attempt?.overall, nodes: attempt?.nodes, requestId: attempt?.requestId },
      {
        result: 'failure',
        status: 500,
        overall: ['LICENSE_FILE_FORMAT_INCORRECT'],
        nodes: [],
        requestId: response.headers['x-request-id'],
      },
    );
  });

  it('stores nothing for unknown accounts, for requests refused before the password check, nor for heartbeats', async function () {
    const account = await api.createAccount();
    const registered = await register(registrationBody(account, 1));
    const [node] = (registered.body as Registered).nodes;
    assert.ok(node);
    await api.deps.attempts.flush();
    const before = (await rawRows(api)).length;

    const stranger = { ...account, name: `${account.name}-unknown` };
    expectOverall(await register(registrationBody(stranger, 1)), 401, ['UNAUTHORIZED_ACCOUNT']);
    expectOverall(await unbind(stranger, [{ nodeId: node.nodeId, machineCode: node.machineCode }]), 401, ['UNAUTHORIZED_ACCOUNT']);
    expectOverall(await register({ ...registrationBody(account, 1), nodes: [] }), 400, ['INCORRECT_PARAMETER']);
    assert.equal((await request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token })).status, 200);

    await api.deps.attempts.flush();
    assert.equal((await rawRows(api)).length, before);
  });

  it('pages newest first with an opaque cursor, and refuses a cursor it did not hand out', async function () {
    const account = await api.createAccount();
    const requestIds: string[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await register(i % 3 === 0 ? { ...registrationBody(account, 1), password: 'wrong' } : registrationBody(account, 1));
      requestIds.push(String(response.headers['x-request-id']));
    }
    await api.deps.attempts.flush();

    const pages: Attempt[][] = [];
    let cursor: string | undefined;
    do {
      const page = await attempts.list(account.id, { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    assert.deepEqual(
      pages.map((page) => page.length),
      [3, 3, 1],
    );
    assert.deepEqual(
      pages.flat().map((attempt) => attempt.requestId),
      requestIds.toReversed(),
    );

    const exact = await attempts.list(account.id, { limit: 7 });
    assert.equal(exact.nextCursor, null, 'no further page when the last one is full');
    await assert.rejects(attempts.list(account.id, { limit: 3, cursor: 'not-a-cursor' }), InvalidCursor);
    await assert.rejects(attempts.list(account.id, { limit: 3, cursor: Buffer.from('0').toString('base64url') }), InvalidCursor);
  });

  it('keeps attempts for ATTEMPTS_KEPT_DAYS: older ones are neither listed nor left in the table', async function () {
    let clock = new Date(Date.now() - 31 * 86_400_000);
    const dated = await startTestApi({ TRUST_PROXY: 'loopback' }, { now: () => clock });
    try {
      const account = await dated.createAccount();
      const old = await request(dated.app).post('/v1/registrations').send(registrationBody(account, 1));
      await dated.deps.attempts.flush();
      assert.deepEqual(
        (await rawRows(dated, account.id)).map((row) => String(row.request_id)),
        [old.headers['x-request-id']],
      );

      clock = new Date();
      const recent = await request(dated.app).post('/v1/registrations').send(registrationBody(account, 1));
      assert.deepEqual(
        (await attemptsOf(account, dated)).map((attempt) => attempt.requestId),
        [recent.headers['x-request-id']],
      );
      assert.deepEqual(
        (await rawRows(dated, account.id)).map((row) => String(row.request_id)),
        [recent.headers['x-request-id']],
        'pruned by age',
      );
    } finally {
      await dated.close();
    }
  });

  it('writes a batch of the largest registrations the contract allows over several statements, in order', async function () {
    const account = await api.createAccount();
    const nodes = Array.from({ length: 256 }, (_, i) => ({
      nodeId: `n-${i}`.padEnd(128, 'é'),
      machineCode: `m-${i}`.padEnd(255, '\u0001'),
      causes: [],
    }));
    const batch = Array.from({ length: 8 }, (_, i) => ({
      accountId: account.id,
      hasPassedCredentials: true,
      at: new Date(),
      kind: 'registration' as const,
      result: 'success' as const,
      status: 200,
      overall: [],
      nodes,
      sourceAddress: address(),
      requestId: `large-${i}`,
    }));
    await attempts.insert(batch);
    const kept = await attemptsOf(account);
    assert.deepEqual(
      kept.map((attempt) => attempt.requestId),
      batch.map((attempt) => attempt.requestId).toReversed(),
    );
    assert.deepEqual(kept[0]?.nodes, nodes);
  });

  it('flushes what is pending when the API stops', async function () {
    const stopping = await startTestApi();
    const account = await stopping.createAccount();
    const response = await request(stopping.app).post('/v1/registrations').send(registrationBody(account, 1));
    await stopping.close();
    assert.deepEqual(
      (await rawRows(api, account.id)).map((row) => String(row.request_id)),
      [response.headers['x-request-id']],
    );
  });

  describe('under a storm, with ATTEMPTS_KEPT_PER_ACCOUNT=5', function () {
    this.timeout(60_000);
    const KEPT = 5;
    let storm: TestApi;

    before(async function () {
      storm = await startTestApi({
        TRUST_PROXY: 'loopback',
        ATTEMPTS_KEPT_PER_ACCOUNT: String(KEPT),
        THROTTLE_PAIR_LIMIT: '1000000',
        THROTTLE_ADDRESS_LIMIT: '1000000',
        THROTTLE_ACCOUNT_LIMIT: '1000000',
      });
    });
    after(async function () {
      await storm.close();
    });

    /** Sends each body, `concurrency` at a time, flushing after each round so that pruning in MySQL runs too. */
    async function send(bodies: object[], concurrency: number): Promise<string[]> {
      const requestIds: string[] = [];
      for (let start = 0; start < bodies.length; start += concurrency) {
        const round = bodies.slice(start, start + concurrency);
        const responses = await Promise.all(
          round.map((body, i) =>
            request(storm.app)
              .post('/v1/registrations')
              .set('X-Forwarded-For', address(start + i + 1))
              .send(body),
          ),
        );
        for (const response of responses) {
          assert.ok(response.status === 200 || response.status === 401, `${response.status} ${JSON.stringify(response.body)}`);
          requestIds.push(String(response.headers['x-request-id']));
        }
        await storm.deps.attempts.flush();
      }
      return requestIds;
    }

    async function keptSets(account: TestAccount) {
      const rows = await rawRows(storm, account.id);
      const ids = (passed: number) => rows.filter((row) => Number(row.credentials_passed) === passed).map((row) => String(row.request_id));
      return { passed: ids(1), failed: ids(0) };
    }

    it('keeps at most the kept count of each set per account over 200 registrations, and a flood of wrong passwords never pushes out the passed ones', async function () {
      const accounts = [await storm.createAccount(), await storm.createAccount()];
      const bodyFor = (i: number) => {
        const account = accounts[i % 2] as TestAccount;
        const body = registrationBody(account, 1, { prefix: `storm-${account.id}` });
        return i % 4 < 2 ? body : { ...body, password: 'wrong' };
      };
      await send(
        Array.from({ length: 200 }, (_, i) => bodyFor(i)),
        20,
      );
      for (const account of accounts) {
        const sets = await keptSets(account);
        assert.deepEqual([sets.passed.length, sets.failed.length], [KEPT, KEPT]);
        const listed = (await attempts.list(account.id, { limit: 500 })).items;
        assert.deepEqual(listed.map((attempt) => attempt.status).sort(), [
          ...Array<number>(KEPT).fill(200),
          ...Array<number>(KEPT).fill(401),
        ]);
      }

      const [account] = accounts as [TestAccount, TestAccount];
      const customer = await send(
        Array.from({ length: KEPT }, () => registrationBody(account, 1, { prefix: `storm-${account.id}` })),
        1,
      );
      const flood = await send(
        Array.from({ length: 150 }, () => ({ ...registrationBody(account, 1), password: 'wrong' })),
        25,
      );
      const after = await keptSets(account);
      assert.deepEqual(after.passed, customer.toReversed(), 'the customer’s answers survive the flood');
      assert.equal(after.failed.length, KEPT);
      assert.ok(
        after.failed.every((id) => flood.includes(id)),
        'the failed set holds the newest failures',
      );
    });
  });
});

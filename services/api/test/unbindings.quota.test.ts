import assert from 'node:assert/strict';
import request from 'supertest';
import { createBindings } from '#shared/storage/mysql/bindings';
import { execute } from '#shared/storage/mysql/pool';
import { accountKeys } from '#shared/storage/redis/keys';
import { expectNodeCauses } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { runStoresEnv, startApiProcess, type ApiProcess } from './support/api-process';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}
type Node = Registered['nodes'][number];

const FALLBACK = {
  result: 'failure',
  overall: [{ code: 'LICENSE_FILE_FORMAT_INCORRECT', message: 'License file format is incorrect.' }],
  nodes: [],
};

/** The contract's "Unbinding quota": counted in the ledger, per machine unbound by the account's nodes in 24 hours. */
describe('POST /v1/unbindings: unbinding quota', function () {
  this.timeout(60_000);
  let api: TestApi;

  const unbindBody = (account: TestAccount, nodes: ReadonlyArray<{ nodeId: string; machineCode: string }>) => ({
    account: account.name,
    password: account.password,
    nodes: nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
  });
  const unbind = (account: TestAccount, nodes: ReadonlyArray<{ nodeId: string; machineCode: string }>) =>
    request(api.app).post('/v1/unbindings').send(unbindBody(account, nodes));
  const verify = (node: Node) => request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });

  async function accountWithQuota(maxUnbindsPerDay: number | null, bound: number): Promise<{ account: TestAccount; nodes: Node[] }> {
    const account = await api.createAccount({ maxRegistrations: Math.max(bound, 1) });
    const changed = await api.deps.context.accounts.update(account.name, {
      policy: { maxUnbindsPerDay },
      audit: { actor: 'test', action: 'account.update', describe: () => ({ details: {} }) },
    });
    // No quota is what a new account has: setting it again changes nothing.
    assert.equal(changed.kind, maxUnbindsPerDay === null ? 'unchanged' : 'updated');
    if (bound === 0) return { account, nodes: [] };
    const response = await request(api.app).post('/v1/registrations').send(registrationBody(account, bound));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return { account, nodes: (response.body as Registered).nodes };
  }

  /** A refusal over the quota: the throttling answer, with a wait that fits the window. */
  function expectOverQuota(response: request.Response): number {
    assert.equal(response.status, 429, JSON.stringify(response.body));
    assert.deepEqual(response.body, FALLBACK);
    const retryAfter = Number(response.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 86_400, `Retry-After ${response.headers['retry-after']}`);
    return retryAfter;
  }

  async function expectStillBound(nodes: readonly Node[]): Promise<void> {
    for (const node of nodes) assert.equal((await verify(node)).status, 200, `${node.machineCode} stays bound`);
  }

  before(async function () {
    api = await startTestApi();
  });
  after(async function () {
    await api.close();
  });

  it('unbinds up to the quota, then refuses the next machine with 429 and leaves it bound', async function () {
    const { account, nodes } = await accountWithQuota(2, 3);
    const [first, second, third] = nodes;
    assert.ok(first && second && third);
    assert.equal((await unbind(account, [first])).status, 200);
    assert.equal((await unbind(account, [second])).status, 200);
    const retryAfter = expectOverQuota(await unbind(account, [third]));
    // The oldest of the two counted unbindings leaves the window first, almost a whole day from now.
    assert.ok(retryAfter > 86_000, `Retry-After ${retryAfter}`);
    await expectStillBound([third]);
  });

  it('refuses a request whole when only part of it would fit', async function () {
    const { account, nodes } = await accountWithQuota(2, 3);
    const [first, ...rest] = nodes;
    assert.ok(first);
    assert.equal((await unbind(account, [first])).status, 200);
    expectOverQuota(await unbind(account, rest));
    await expectStillBound(rest);
  });

  it('does not count NOT_BOUND machines', async function () {
    const { account, nodes } = await accountWithQuota(1, 1);
    const [node] = nodes;
    assert.ok(node);
    for (let attempt = 0; attempt < 3; attempt++) {
      expectNodeCauses(await unbind(account, [{ nodeId: 'stranger', machineCode: `never-bound-${attempt}` }]), 409, {
        stranger: ['NOT_BOUND'],
      });
    }
    // A NOT_BOUND node beside a bound one is not counted either: the one bound machine fits a quota of 1.
    const mixed = await unbind(account, [node, { nodeId: 'stranger', machineCode: 'never-bound' }]);
    expectNodeCauses(mixed, 409, { stranger: ['NOT_BOUND'] });
    assert.deepEqual((mixed.body as { unbound: string[] }).unbound, [node.nodeId]);
  });

  it('refuses every unbinding by nodes with a quota of 0', async function () {
    const { account, nodes } = await accountWithQuota(0, 1);
    assert.equal(expectOverQuota(await unbind(account, nodes)), 86_400);
    await expectStillBound(nodes);
  });

  it('has no limit when the quota is null', async function () {
    const { account, nodes } = await accountWithQuota(null, 5);
    for (const node of nodes) assert.equal((await unbind(account, [node])).status, 200);
  });

  it('checks the credentials first: a wrong password is UNAUTHORIZED_ACCOUNT even over the quota', async function () {
    const { account, nodes } = await accountWithQuota(0, 1);
    const response = await request(api.app)
      .post('/v1/unbindings')
      .send({ ...unbindBody(account, nodes), password: 'wrong' });
    assert.equal(response.status, 401);
  });

  it('waits for the oldest counted unbinding that must leave the window; older ones no longer count', async function () {
    const { account, nodes } = await accountWithQuota(2, 2);
    const [first, second] = nodes;
    assert.ok(first && second);
    const hoursAgo = (hours: number) => Date.now() / 1000 - hours * 3600;
    await execute(
      api.deps.pool,
      'INSERT INTO unbind_events (account_id, unbound_at) VALUES (?, FROM_UNIXTIME(?)), (?, FROM_UNIXTIME(?)), (?, FROM_UNIXTIME(?))',
      [account.id, hoursAgo(25), account.id, hoursAgo(23), account.id, hoursAgo(1)],
    );
    // Two counted (23 h and 1 h ago); the 25-hour-old one has left the window. One more fits once the 23-hour-old one leaves.
    const retryAfter = expectOverQuota(await unbind(account, [first]));
    assert.ok(Math.abs(retryAfter - 3600) <= 5, `Retry-After ${retryAfter}`);
    // Both machines need both counted ones gone: the younger one leaves in 23 hours.
    const both = expectOverQuota(await unbind(account, [first, second]));
    assert.ok(Math.abs(both - 23 * 3600) <= 5, `Retry-After ${both}`);
    await expectStillBound(nodes);
  });

  it('keeps the count in MySQL: dropping the account from Redis does not reset it', async function () {
    const { account, nodes } = await accountWithQuota(1, 2);
    const [first, second] = nodes;
    assert.ok(first && second);
    assert.equal((await unbind(account, [first])).status, 200);
    const keys = accountKeys(api.config.redisKeyPrefix, account.id);
    assert.ok((await api.deps.redis.del(keys.state, keys.bindings, keys.pending, keys.floor)) > 0, 'the account had Redis state');
    expectOverQuota(await unbind(account, [second]));
    await expectStillBound([second]);
  });

  describe('under concurrency, over two API processes', function () {
    let processes: ApiProcess[];
    before(async function () {
      processes = await Promise.all([startApiProcess(runStoresEnv()), startApiProcess(runStoresEnv())]);
    });
    after(async function () {
      await Promise.all(processes.map((process) => process.stop()));
    });

    it('lets exactly 10 of 100 concurrent unbindings through a quota of 10; the other 90 stay bound', async function () {
      const { account, nodes } = await accountWithQuota(10, 100);
      const answers = await Promise.all(
        nodes.map(async (node, index) => {
          const url = processes[index % processes.length]?.url;
          const response = await fetch(`${url}/v1/unbindings`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(unbindBody(account, [node])),
          });
          await response.arrayBuffer();
          return { node, status: response.status, retryAfter: response.headers.get('retry-after') };
        }),
      );
      const succeeded = answers.filter((answer) => answer.status === 200);
      const refused = answers.filter((answer) => answer.status === 429);
      assert.equal(succeeded.length, 10, JSON.stringify(answers.map((answer) => answer.status)));
      assert.equal(refused.length, 90);
      for (const answer of refused) assert.ok(Number(answer.retryAfter) > 0);
      await expectStillBound(refused.map((answer) => answer.node));
      const bound = await createBindings(api.deps.pool).list(account.id);
      assert.equal(bound.length, 90);
    });
  });
});

import assert from 'node:assert/strict';
import request from 'supertest';
import { accountKeys } from '#shared/storage/redis/keys';
import { expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

describe('POST /v1/unbindings', function () {
  let api: TestApi;
  const unbind = (account: TestAccount, nodes: Array<{ nodeId: string; machineCode: string }>, password = account.password) =>
    request(api.app).post('/v1/unbindings').send({ account: account.name, password, nodes });
  const bindTwo = async (account: TestAccount) => {
    const response = await request(api.app).post('/v1/registrations').send(registrationBody(account, 2));
    assert.equal(response.status, 200);
    return (response.body as Registered).nodes;
  };

  before(async function () {
    api = await startTestApi();
  });
  after(async function () {
    await api.close();
  });

  it('unbinds every node, and their tokens stop verifying', async function () {
    const account = await api.createAccount();
    const nodes = await bindTwo(account);
    const response = await unbind(
      account,
      nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
    );
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { result: 'success', nodes: nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })) });
    for (const node of nodes) {
      const verified = await request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });
      expectNodeCauses(verified, 409, { [node.machineCode]: ['NOT_BOUND'] });
    }
  });

  it('NOT_BOUND for machines not bound, while the others are unbound and listed in `unbound`', async function () {
    const account = await api.createAccount();
    const [first] = await bindTwo(account);
    assert.ok(first);
    const response = await unbind(account, [
      { nodeId: first.nodeId, machineCode: first.machineCode },
      { nodeId: 'stranger', machineCode: 'never-bound' },
    ]);
    const body = expectNodeCauses(response, 409, { stranger: ['NOT_BOUND'] });
    assert.deepEqual(body.unbound, [first.nodeId]);
    assert.equal(body.nodes[0]?.machineCode, 'never-bound');
    assert.equal(await api.deps.redis.hexists(accountKeys(api.config.redisKeyPrefix, account.id).bindings, first.machineCode), 0);
  });

  it('NOT_BOUND for a machine bound to another account', async function () {
    const owner = await api.createAccount();
    const other = await api.createAccount();
    const [node] = await bindTwo(owner);
    assert.ok(node);
    expectNodeCauses(await unbind(other, [{ nodeId: node.nodeId, machineCode: node.machineCode }]), 409, { [node.nodeId]: ['NOT_BOUND'] });
  });

  it('UNAUTHORIZED_ACCOUNT for a wrong password, changing nothing', async function () {
    const account = await api.createAccount();
    const [node] = await bindTwo(account);
    assert.ok(node);
    expectOverall(await unbind(account, [{ nodeId: node.nodeId, machineCode: node.machineCode }], 'wrong'), 401, ['UNAUTHORIZED_ACCOUNT']);
    const verified = await request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });
    assert.equal(verified.status, 200);
  });

  it('ABNORMAL_ACCOUNT_STATUS for a frozen account, but not for an expired one', async function () {
    const frozen = await api.createAccount({ status: 'frozen' });
    expectOverall(await unbind(frozen, [{ nodeId: 'n', machineCode: 'm' }]), 403, ['ABNORMAL_ACCOUNT_STATUS']);
    const expired = await api.createAccount({ expiresAt: '2019-02-22' });
    expectNodeCauses(await unbind(expired, [{ nodeId: 'n', machineCode: 'm' }]), 409, { n: ['NOT_BOUND'] });
  });
});

import assert from 'node:assert/strict';
import request from 'supertest';
import { expectFallback, expectOverall } from './support/expect-causes';
import { registrationBody, startTestApi, type TestApi } from './support/test-api';

describe('failed-login throttling (contract rule 6)', function () {
  let api: TestApi;
  const register = (body: object, address: string) =>
    request(api.app).post('/v1/registrations').set('X-Forwarded-For', address).send(body);

  before(async function () {
    api = await startTestApi({
      TRUST_PROXY: 'loopback',
      THROTTLE_PAIR_LIMIT: '3',
      THROTTLE_ADDRESS_LIMIT: '5',
      THROTTLE_ACCOUNT_LIMIT: '8',
    });
  });
  after(async function () {
    await api.close();
  });

  it('throttles one address for one account after the limit, with Retry-After and the fallback cause', async function () {
    const account = await api.createAccount();
    const wrong = { ...registrationBody(account, 1), password: 'wrong' };
    for (let i = 0; i < 3; i++) expectOverall(await register(wrong, '198.51.100.1'), 401, ['UNAUTHORIZED_ACCOUNT']);
    const throttled = await register(registrationBody(account, 1), '198.51.100.1');
    expectFallback(throttled, 429);
    assert.ok(Number(throttled.headers['retry-after']) > 0);
    assert.equal((await register(registrationBody(account, 1), '198.51.100.2')).status, 200, 'another address is not throttled');
  });

  it('throttles one address across accounts', async function () {
    const accounts = await Promise.all([1, 2, 3].map(() => api.createAccount()));
    for (const account of accounts.slice(0, 2)) {
      for (let i = 0; i < (account === accounts[0] ? 3 : 2); i++) await register({ ...registrationBody(account, 1), password: 'wrong' }, '198.51.100.3');
    }
    expectFallback(await register(registrationBody(accounts[2] as (typeof accounts)[number], 1), '198.51.100.3'), 429);
  });

  it('throttles an account for new addresses, but not for an address it logged in from before', async function () {
    const account = await api.createAccount();
    const body = registrationBody(account, 1);
    assert.equal((await register(body, '198.51.100.10')).status, 200);
    for (let i = 0; i < 8; i++) await register({ ...body, password: 'wrong' }, `203.0.113.${i + 1}`);
    expectFallback(await register(body, '203.0.113.99'), 429);
    assert.equal((await register(body, '198.51.100.10')).status, 200, 'the customer is not locked out');
  });

  it('clears the address counter for the account on a successful login', async function () {
    const account = await api.createAccount();
    const body = registrationBody(account, 1);
    for (let i = 0; i < 2; i++) await register({ ...body, password: 'wrong' }, '198.51.100.20');
    assert.equal((await register(body, '198.51.100.20')).status, 200);
    for (let i = 0; i < 2; i++) await register({ ...body, password: 'wrong' }, '198.51.100.20');
    assert.equal((await register(body, '198.51.100.20')).status, 200);
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { expectFallback, expectOverall } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';

describe('failed-login throttling (contract rule 6)', function () {
  let api: TestApi;
  const register = (body: object, address: string) => request(api.app).post('/v1/registrations').set('X-Forwarded-For', address).send(body);

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
      for (let i = 0; i < (account === accounts[0] ? 3 : 2); i++)
        await register({ ...registrationBody(account, 1), password: 'wrong' }, '198.51.100.3');
    }
    expectFallback(await register(registrationBody(accounts[2] as (typeof accounts)[number], 1), '198.51.100.3'), 429);
  });

  it('throttles an account for addresses that keep failing, but not for an address it logged in from before', async function () {
    const account = await api.createAccount();
    const body = registrationBody(account, 1);
    assert.equal((await register(body, '198.51.100.10')).status, 200);
    for (let i = 0; i < 8; i++) await register({ ...body, password: 'wrong' }, `203.0.113.${i + 1}`);
    // The account-wide limit is reached: an address new to it gets THROTTLE_NEW_ADDRESS_LIMIT (3) attempts, then waits.
    for (let i = 0; i < 3; i++)
      expectOverall(await register({ ...body, password: 'wrong' }, '203.0.113.99'), 401, ['UNAUTHORIZED_ACCOUNT']);
    expectFallback(await register(body, '203.0.113.99'), 429);
    assert.equal((await register(body, '198.51.100.10')).status, 200, 'the customer is not locked out');
  });

  it('keeps one address and account apart from another whose parts join to the same text', async function () {
    const account = await api.createAccount();
    const colliding = { ...registrationBody(account, 1), account: `2:${account.name}`, password: 'wrong' };
    for (let i = 0; i < 3; i++) expectOverall(await register(colliding, '2001:db8::1'), 401, ['UNAUTHORIZED_ACCOUNT']);
    expectFallback(await register(colliding, '2001:db8::1'), 429);
    assert.equal((await register(registrationBody(account, 1), '2001:db8::1:2')).status, 200);
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

describe('failed-login throttling at the default limits', function () {
  let api: TestApi;
  const register = (body: object, address: string) => request(api.app).post('/v1/registrations').set('X-Forwarded-For', address).send(body);

  before(async function () {
    api = await startTestApi({ TRUST_PROXY: 'loopback' });
  });
  after(async function () {
    await api.close();
  });

  it('lets at most 10 of 80 parallel guesses from one address reach the password check, then throttles the right password', async function () {
    const account = await api.createAccount();
    const wrong = { ...registrationBody(account, 1), password: 'wrong' };
    const answers = await Promise.all(Array.from({ length: 80 }, () => register(wrong, '198.51.100.50')));
    const checked = answers.filter((answer) => answer.status === 401);
    assert.ok(checked.length <= 10, `${checked.length} guesses reached bcrypt`);
    assert.ok(answers.every((answer) => answer.status === 401 || answer.status === 429));
    for (const answer of answers.filter((a) => a.status === 429)) expectFallback(answer, 429);
    const right = await register(registrationBody(account, 1), '198.51.100.50');
    expectFallback(right, 429);
    assert.ok(Number(right.headers['retry-after']) > 0);
  });

  it('lets a burst of right passwords from one address through, a few at a time', async function () {
    const account = await api.createAccount({ maxRegistrations: 40 });
    const answers = await Promise.all(Array.from({ length: 40 }, () => register(registrationBody(account, 1), '198.51.100.51')));
    assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [200]);
  });

  it('lets the customer in from a new address after 120 failures from 12 addresses', async function () {
    const account = await api.createAccount();
    const wrong = { ...registrationBody(account, 1), password: 'wrong' };
    let checked = 0;
    for (let address = 1; address <= 12; address++) {
      for (let i = 0; i < 10; i++) if ((await register(wrong, `192.0.2.${address}`)).status === 401) checked++;
    }
    // 100 within the account-wide limit, then 3 from each of the two addresses that had not failed yet.
    assert.equal(checked, 106);
    expectFallback(await register(wrong, '192.0.2.1'), 429);
    assert.equal((await register(registrationBody(account, 1), '192.0.2.200')).status, 200, 'the customer is not locked out');
  });
});

describe('failed and throttled logins as security events', function () {
  let api: TestApi;
  const lines: Array<Record<string, unknown>> = [];

  before(async function () {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    api = await startTestApi({ TRUST_PROXY: 'loopback', THROTTLE_PAIR_LIMIT: '2' }, { logger: pino({ level: 'info' }, sink) });
  });
  after(async function () {
    await api.close();
  });

  it('logs each failure and each throttled attempt with account, address and request id, never the password', async function () {
    const account = await api.createAccount();
    const wrong = { ...registrationBody(account, 1), password: 'guess-7f3a' };
    for (let i = 0; i < 3; i++)
      await request(api.app)
        .post('/v1/registrations')
        .set('X-Forwarded-For', '198.51.100.77')
        .set('x-request-id', `guess-${i}`)
        .send(wrong);
    const events = lines.filter((line) => typeof line.event === 'string' && line.account === account.name);
    assert.deepEqual(
      events.map((line) => [line.event, line.address, line.requestId]),
      [
        ['login.failed', '198.51.100.77', 'guess-0'],
        ['login.failed', '198.51.100.77', 'guess-1'],
        ['login.throttled', '198.51.100.77', 'guess-2'],
      ],
    );
    assert.ok(!JSON.stringify(lines).includes('guess-7f3a'));
  });
});

import assert from 'node:assert/strict';
import request from 'supertest';
import mysql from 'mysql2/promise';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { accountKeys } from '#shared/storage/redis/keys';
import { expectFallback, expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';

describe('POST /v1/registrations with "dryRun": true', function () {
  let api: TestApi;
  let db: mysql.Connection;
  const register = (body: object) => request(api.app).post('/v1/registrations').send(body);
  const dryRun = (body: object) => register({ ...body, dryRun: true });
  const ledgerCount = async (account: TestAccount) => {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id = ?', [account.id]);
    return Number(rows[0]?.n);
  };
  const redisSeats = async (account: TestAccount) => {
    const keys = accountKeys(api.config.redisKeyPrefix, account.id);
    return (await api.deps.redis.hlen(keys.bindings)) + (await api.deps.redis.hlen(keys.pending));
  };

  before(async function () {
    api = await startTestApi();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await api.close();
  });

  it('answers the success the real call would, without tokens, and binds nothing', async function () {
    const account = await api.createAccount({ maxRegistrations: 5, expiresAt: '2027-02-22' });
    assert.equal((await register(registrationBody(account, 2))).status, 200);
    const body = registrationBody(account, 2, { prefix: 'new' });
    const response = await dryRun(body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, {
      result: 'success',
      account: account.name,
      expiresAt: '2027-02-22',
      maxRegistrations: 5,
      used: 4,
      nodes: body.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
      dryRun: true,
    });
    assert.equal(await ledgerCount(account), 2, 'nothing bound in MySQL');
    assert.equal(await redisSeats(account), 2, 'nothing bound or reserved in Redis');
    const real = await register(body);
    assert.equal((real.body as { used: number }).used, 4, 'the real call answers the used the dry run announced');
  });

  it('counts re-registered machines as taking no seat', async function () {
    const account = await api.createAccount({ maxRegistrations: 2 });
    const body = registrationBody(account, 2);
    assert.equal((await register(body)).status, 200);
    const response = await dryRun(body);
    assert.equal(response.status, 200);
    assert.equal((response.body as { used: number }).used, 2);
  });

  it('answers account causes, marked as a dry run', async function () {
    const account = await api.createAccount({ status: 'frozen', expiresAt: '2019-02-22' });
    const response = await dryRun(registrationBody(account, 1, { appVersion: '10.0' }));
    expectOverall(response, 403, ['VERSION_MISMATCH', 'ABNORMAL_ACCOUNT_STATUS', 'EXPIRED_CERTIFICATE']);
    assert.equal((response.body as { dryRun?: boolean }).dryRun, true);
  });

  it('answers range causes and MAX_AUTHORIZATIONS_REACHED with seats as they are now, binding nothing', async function () {
    const account = await api.createAccount({ maxRegistrations: 2, allowedIps: ['198.51.100.0/24'] });
    assert.equal((await register(registrationBody(account, 1, { node: () => ({ ip: '198.51.100.1' }) }))).status, 200);
    const body = registrationBody(account, 3, { node: (index) => ({ ip: index === 0 ? '203.0.113.9' : '198.51.100.2' }) });
    const response = await dryRun(body);
    // Display rule 3: node-1 is new too, so it takes the one free seat in the count.
    expectNodeCauses(response, 409, {
      'node-1': ['IP_NOT_ALLOWED'],
      'node-2': ['MAX_AUTHORIZATIONS_REACHED'],
      'node-3': ['MAX_AUTHORIZATIONS_REACHED'],
    });
    const { dryRun: isDryRun, ...answer } = response.body as { dryRun?: boolean };
    assert.equal(isDryRun, true);
    assert.equal(await ledgerCount(account), 1);
    assert.equal(await redisSeats(account), 1);
    const real = await register(body);
    assert.equal(real.status, 409);
    assert.deepEqual(real.body, answer, 'the real call answers what the dry run did');
  });

  it('answers every range cause a node has, as the real call does', async function () {
    const account = await api.createAccount({
      allowedIps: ['198.51.100.0/24'],
      allowedDomains: ['*.acme.example'],
      allowedAppNames: ['webroot'],
    });
    const body = registrationBody(account, 3, {
      node: (index) =>
        [
          { ip: '203.0.113.9', domain: 'report.other.example', appName: 'reports' },
          { ip: '198.51.100.2', domain: 'report.other.example', appName: 'webroot' },
          { ip: '198.51.100.3', domain: 'report.acme.example', appName: 'reports' },
        ][index] ?? {},
    });
    const response = await dryRun(body);
    expectNodeCauses(response, 409, {
      'node-1': ['IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED', 'APP_NAME_NOT_ALLOWED'],
      'node-2': ['DOMAIN_NOT_ALLOWED'],
      'node-3': ['APP_NAME_NOT_ALLOWED'],
    });
    const { dryRun: isDryRun, ...answer } = response.body as { dryRun?: boolean };
    assert.equal(isDryRun, true);
    assert.deepEqual((await register(body)).body, answer, 'the real call answers what the dry run did');
    assert.equal(await ledgerCount(account), 0);
  });

  it('refuses a dryRun that is not a boolean as INCORRECT_DATA_FORMAT', async function () {
    const account = await api.createAccount();
    for (const value of ['true', 1, null, {}]) {
      expectOverall(await register({ ...registrationBody(account, 1), dryRun: value }), 400, ['INCORRECT_DATA_FORMAT']);
    }
    assert.equal(await ledgerCount(account), 0);
  });

  it('marks a refusal of its parameters and of a bad Idempotency-Key as a dry run too', async function () {
    const account = await api.createAccount();
    const badIp = registrationBody(account, 1, { node: () => ({ ip: '300.1.1.1' }) });
    const refused = await dryRun(badIp);
    expectOverall(refused, 400, ['INCORRECT_PARAMETER']);
    assert.equal((refused.body as { dryRun?: boolean }).dryRun, true);
    const badKey = await request(api.app)
      .post('/v1/registrations')
      .set('Idempotency-Key', '')
      .send({ ...registrationBody(account, 1), dryRun: true });
    expectOverall(badKey, 400, ['INCORRECT_PARAMETER']);
    assert.equal((badKey.body as { dryRun?: boolean }).dryRun, true);
    const real = await register(badIp);
    expectOverall(real, 400, ['INCORRECT_PARAMETER']);
    assert.equal('dryRun' in (real.body as object), false);
  });

  it('answers a v1.0 request (no dryRun) without the field, and "dryRun": false like one', async function () {
    const account = await api.createAccount();
    const plain = await register(registrationBody(account, 1));
    assert.equal(plain.status, 200);
    assert.equal('dryRun' in (plain.body as object), false);
    const explicit = await register({ ...registrationBody(account, 1, { prefix: 'other' }), dryRun: false });
    assert.equal(explicit.status, 200);
    assert.equal('dryRun' in (explicit.body as object), false);
    assert.equal(await ledgerCount(account), 2);
  });
});

describe('dry runs and failed-login throttling', function () {
  let api: TestApi;
  const register = (body: object) => request(api.app).post('/v1/registrations').set('X-Forwarded-For', '198.51.100.77').send(body);

  before(async function () {
    api = await startTestApi({ TRUST_PROXY: 'loopback', THROTTLE_PAIR_LIMIT: '3' });
  });
  after(async function () {
    await api.close();
  });

  it('counts a wrong password in a dry run like a real attempt', async function () {
    const account = await api.createAccount();
    const wrong = { ...registrationBody(account, 1), password: 'wrong', dryRun: true };
    for (let i = 0; i < 3; i++) {
      const response = await register(wrong);
      expectOverall(response, 401, ['UNAUTHORIZED_ACCOUNT']);
      assert.equal((response.body as { dryRun?: boolean }).dryRun, true);
    }
    expectFallback(await register(registrationBody(account, 1)), 429);
    expectFallback(await register({ ...registrationBody(account, 1), dryRun: true }), 429, { isDryRun: true });
  });
});

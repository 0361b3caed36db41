import assert from 'node:assert/strict';
import request from 'supertest';
import mysql from 'mysql2/promise';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { NONCE_LENGTH } from '#shared/security/binding-token';
import { PENDING_TTL_SECONDS } from '#shared/storage/binding-store';
import { encodeBindingRecord } from '#shared/storage/redis/binding-record';
import { accountKeys } from '#shared/storage/redis/keys';
import { expectFallback, expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { withoutLease } from '#shared/testing/without-lease';

interface Registered {
  result: string;
  used: number;
  maxRegistrations: number;
  expiresAt: string;
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

/**
 * A success without its leases, after checking each node has one: every
 * registration signs its leases anew (`iat` is the second it ran), so two
 * answers that must be the same differ in them when a second passes between.
 */
function withoutNewLeases(answer: unknown): unknown {
  const { nodes } = answer as { nodes: Array<{ lease?: unknown }> };
  assert.ok(nodes.every((node) => typeof node.lease === 'string'));
  return withoutLease(answer);
}

describe('POST /v1/registrations', function () {
  let api: TestApi;
  let db: mysql.Connection;
  const register = (body: object) => request(api.app).post('/v1/registrations').send(body);
  const verify = (machineCode: string, token: string) => request(api.app).post('/v1/verifications').send({ machineCode, token });
  const ledgerCount = async (account: TestAccount) => {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id = ?', [account.id]);
    return Number(rows[0]?.n);
  };
  const redisCount = (account: TestAccount) => api.deps.redis.hlen(accountKeys(api.config.redisKeyPrefix, account.id).bindings);

  before(async function () {
    api = await startTestApi();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await api.close();
  });

  describe('success', function () {
    it('binds every node, answers the contract shape and tokens that verify', async function () {
      const account = await api.createAccount({ maxRegistrations: 10, expiresAt: '2027-02-22' });
      const response = await register(registrationBody(account, 3, { appVersion: '11.0.3' }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const body = response.body as Registered;
      assert.equal(body.result, 'success');
      assert.deepEqual(
        { ...body, nodes: undefined },
        { result: 'success', account: account.name, expiresAt: '2027-02-22', maxRegistrations: 10, used: 3, nodes: undefined },
      );
      assert.deepEqual(
        body.nodes.map((node) => node.nodeId),
        ['node-1', 'node-2', 'node-3'],
      );
      for (const node of body.nodes) {
        const verified = await verify(node.machineCode, node.token);
        assert.equal(verified.status, 200);
        assert.deepEqual(withoutLease(verified.body), { result: 'valid', expiresAt: '2027-02-22' });
      }
      assert.equal(await ledgerCount(account), 3);
      assert.equal(await redisCount(account), 3);
    });

    it('is idempotent: re-registering bound machines takes no seat and hands back the same tokens', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      const body = registrationBody(account, 2);
      const first = await register(body);
      const second = await register(body);
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.deepEqual(withoutNewLeases(second.body), withoutNewLeases(first.body));
      assert.equal((second.body as Registered).used, 2);
      assert.equal(await ledgerCount(account), 2);
    });

    it('keeps bound machines when the limit is lowered below what is bound', async function () {
      const account = await api.createAccount({ maxRegistrations: 3 });
      const body = registrationBody(account, 3);
      assert.equal((await register(body)).status, 200);
      await db.query('UPDATE accounts SET max_registrations = 1 WHERE id = ?', [account.id]);
      assert.equal((await register(body)).status, 200);
    });
  });

  describe('UNAUTHORIZED_ACCOUNT', function () {
    it('answers an unknown account and a wrong password alike', async function () {
      const account = await api.createAccount();
      const wrongPassword = await register({ ...registrationBody(account, 1), password: 'not-the-password' });
      const unknown = await register({ ...registrationBody(account, 1), account: `${account.name}-nobody` });
      expectOverall(wrongPassword, 401, ['UNAUTHORIZED_ACCOUNT']);
      expectOverall(unknown, 401, ['UNAUTHORIZED_ACCOUNT']);
      assert.deepEqual(wrongPassword.body, unknown.body);
    });

    it('reveals nothing after the credentials fail, even for an expired, frozen account', async function () {
      const account = await api.createAccount({ status: 'frozen', expiresAt: '2019-02-22' });
      expectOverall(await register({ ...registrationBody(account, 1), password: 'wrong' }), 401, ['UNAUTHORIZED_ACCOUNT']);
    });
  });

  describe('account causes', function () {
    it('VERSION_MISMATCH with the certified and local versions', async function () {
      const account = await api.createAccount({ version: '11.0' });
      const body = expectOverall(await register(registrationBody(account, 1, { appVersion: '11.01' })), 403, ['VERSION_MISMATCH']);
      assert.deepEqual(body.overall[0]?.details, { certifiedVersion: '11.0', localVersion: '11.01' });
    });

    it('ABNORMAL_ACCOUNT_STATUS with the status', async function () {
      const account = await api.createAccount({ status: 'disabled' });
      const body = expectOverall(await register(registrationBody(account, 1)), 403, ['ABNORMAL_ACCOUNT_STATUS']);
      assert.deepEqual(body.overall[0]?.details, { status: 'disabled' });
    });

    it('EXPIRED_CERTIFICATE with the date as YYYY/MM/DD', async function () {
      const account = await api.createAccount({ expiresAt: '2019-02-22' });
      const body = expectOverall(await register(registrationBody(account, 1)), 403, ['EXPIRED_CERTIFICATE']);
      assert.deepEqual(body.overall[0]?.details, { expirationDate: '2019/02/22' });
    });

    it('lists every account cause in table order and no node causes (display rule 2)', async function () {
      const account = await api.createAccount({
        version: '9.0',
        status: 'frozen',
        expiresAt: '2019-02-22',
        allowedIps: ['10.0.0.0/8'],
        maxRegistrations: 0,
      });
      expectOverall(await register(registrationBody(account, 2, { appVersion: '10.0' })), 403, [
        'VERSION_MISMATCH',
        'ABNORMAL_ACCOUNT_STATUS',
        'EXPIRED_CERTIFICATE',
      ]);
      assert.equal(await ledgerCount(account), 0);
    });
  });

  describe('range causes', function () {
    it('IP_NOT_ALLOWED, DOMAIN_NOT_ALLOWED and APP_NAME_NOT_ALLOWED, all listed for each node, and nothing bound', async function () {
      const account = await api.createAccount({
        allowedIps: ['203.0.113.0/24', '2001:db8::/32'],
        allowedDomains: ['*.acme.com'],
        allowedAppNames: ['webroot'],
      });
      const response = await register(
        registrationBody(account, 4, {
          node: (index) =>
            [
              { ip: '198.51.100.1' },
              { ip: '198.51.100.2', domain: 'acme.com' },
              { ip: '2001:db8::7', domain: 'evil.example', appName: 'other' },
              { ip: '::ffff:203.0.113.9', domain: 'a.b.ACME.com' },
            ][index] ?? {},
        }),
      );
      expectNodeCauses(response, 409, {
        'node-1': ['IP_NOT_ALLOWED'],
        'node-2': ['IP_NOT_ALLOWED', 'DOMAIN_NOT_ALLOWED'],
        'node-3': ['DOMAIN_NOT_ALLOWED', 'APP_NAME_NOT_ALLOWED'],
      });
      assert.equal(await ledgerCount(account), 0);
      assert.equal(await redisCount(account), 0);
    });

    it('fails a node without a domain when domains are restricted', async function () {
      const account = await api.createAccount({ allowedDomains: ['report.acme.com'] });
      expectNodeCauses(await register(registrationBody(account, 1, { node: () => ({ domain: undefined }) })), 409, {
        'node-1': ['DOMAIN_NOT_ALLOWED'],
      });
    });
  });

  describe('MAX_AUTHORIZATIONS_REACHED', function () {
    it('refuses the third node of a two-seat account, binding none', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      expectNodeCauses(await register(registrationBody(account, 3)), 409, { 'node-3': ['MAX_AUTHORIZATIONS_REACHED'] });
      assert.equal(await ledgerCount(account), 0);
      assert.equal(await redisCount(account), 0);
    });

    it('counts bound machines first and new ones in request order (display rule 3)', async function () {
      const account = await api.createAccount({ maxRegistrations: 3 });
      const bound = registrationBody(account, 2, { prefix: 'old' });
      assert.equal((await register(bound)).status, 200);
      const body = registrationBody(account, 4, { prefix: 'new' });
      body.nodes[1] = { ...(bound.nodes[0] as (typeof body.nodes)[number]), nodeId: 'node-2' };
      expectNodeCauses(await register(body), 409, { 'node-3': ['MAX_AUTHORIZATIONS_REACHED'], 'node-4': ['MAX_AUTHORIZATIONS_REACHED'] });
      assert.equal(await ledgerCount(account), 2);
    });

    it('counts new machines that also carry a range cause', async function () {
      const account = await api.createAccount({ maxRegistrations: 1, allowedAppNames: ['webroot'] });
      const response = await register(registrationBody(account, 2, { node: (index) => (index === 0 ? { appName: 'other' } : {}) }));
      expectNodeCauses(response, 409, { 'node-1': ['APP_NAME_NOT_ALLOWED'], 'node-2': ['MAX_AUTHORIZATIONS_REACHED'] });
    });

    it('frees the seat of an unbound machine', async function () {
      const account = await api.createAccount({ maxRegistrations: 1 });
      const first = registrationBody(account, 1);
      assert.equal((await register(first)).status, 200);
      expectNodeCauses(await register(registrationBody(account, 1)), 409, { 'node-1': ['MAX_AUTHORIZATIONS_REACHED'] });
      const unbound = await request(api.app)
        .post('/v1/unbindings')
        .send({
          account: account.name,
          password: account.password,
          nodes: [{ nodeId: 'node-1', machineCode: first.nodes[0]?.machineCode }],
        });
      assert.equal(unbound.status, 200);
      assert.equal((await register(registrationBody(account, 1))).status, 200);
    });
  });

  describe('Redis losing its data', function () {
    it('reloads the bindings from MySQL before the next seat check', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      const first = await register(registrationBody(account, 2));
      assert.equal(first.status, 200);
      const keys = accountKeys(api.config.redisKeyPrefix, account.id);
      await api.deps.redis.del(keys.state, keys.bindings);
      expectNodeCauses(await register(registrationBody(account, 1)), 409, { 'node-1': ['MAX_AUTHORIZATIONS_REACHED'] });
      assert.equal(await redisCount(account), 2);
      const node = (first.body as Registered).nodes[0] as Registered['nodes'][number];
      assert.equal((await verify(node.machineCode, node.token)).status, 200);
    });

    it('answers from the ledger when Redis lost one binding: same token, no new seat', async function () {
      const account = await api.createAccount({ maxRegistrations: 1 });
      const body = registrationBody(account, 1);
      const first = await register(body);
      assert.equal(first.status, 200);
      await api.deps.redis.hdel(accountKeys(api.config.redisKeyPrefix, account.id).bindings, body.nodes[0]?.machineCode ?? '');
      const again = await register(body);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual(withoutNewLeases(again.body), withoutNewLeases(first.body));
      assert.equal(await ledgerCount(account), 1);
    });

    it('does not let a reservation left by a dead request hold a seat for good', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      const keys = accountKeys(api.config.redisKeyPrefix, account.id);
      assert.equal((await register(registrationBody(account, 1))).status, 200);
      const now = Math.floor(Date.now() / 1000);
      const dead = encodeBindingRecord({ nonce: 'D'.repeat(NONCE_LENGTH), seconds: now - PENDING_TTL_SECONDS - 1 });
      await api.deps.redis.hset(keys.pending, 'dead', dead);
      assert.equal((await register(registrationBody(account, 1))).status, 200);
      assert.equal(await api.deps.redis.hexists(keys.pending, 'dead'), 0, 'the expired reservation is gone');
      assert.equal(await api.deps.redis.exists(keys.state), 1, 'Redis bound it alone: the account stayed loaded');
      assert.equal(await ledgerCount(account), 2);
      assert.equal(await redisCount(account), 2);
    });

    it('binds the last seat when a fresh reservation whose request died holds it in Redis (a failover lost its undo)', async function () {
      const account = await api.createAccount({ maxRegistrations: 2 });
      const keys = accountKeys(api.config.redisKeyPrefix, account.id);
      assert.equal((await register(registrationBody(account, 1))).status, 200);
      const orphan = encodeBindingRecord({ nonce: 'O'.repeat(NONCE_LENGTH), seconds: Math.floor(Date.now() / 1000) });
      await api.deps.redis.hset(keys.pending, 'orphan', orphan);
      assert.equal((await register(registrationBody(account, 1))).status, 200);
      assert.equal(await ledgerCount(account), 2);
      expectNodeCauses(await register(registrationBody(account, 1)), 409, { 'node-1': ['MAX_AUTHORIZATIONS_REACHED'] });
    });
  });

  describe('the fallback cause', function () {
    it('answers an unexpected error with HTTP 500, one fallback cause and a request id, never the detail', async function () {
      const account = await api.createAccount();
      await db.query("UPDATE accounts SET allowed_ips = 'not json' WHERE id = ?", [account.id]);
      expectFallback(await register(registrationBody(account, 1)), 500);
    });

    it('answers unknown routes with 404 and wrong methods with 405', async function () {
      expectFallback(await request(api.app).post('/v1/nothing').send({}), 404);
      const wrongMethod = await request(api.app).get('/v1/registrations');
      expectFallback(wrongMethod, 405);
      assert.equal(wrongMethod.headers.allow, 'POST');
    });
  });
});

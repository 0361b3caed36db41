import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { decodeBindingRecord } from '#shared/storage/redis/binding-record';
import { accountKeys } from '#shared/storage/redis/keys';
import { loadOrCreateSecret } from '#shared/storage/mysql/settings';
import { legacyToken } from '#shared/testing/legacy-token';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { changeAccount } from '#shared/testing/change-account';
import { expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { withoutLease } from '#shared/testing/without-lease';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

describe('POST /v1/verifications', function () {
  let api: TestApi;
  let db: mysql.Connection;
  const verify = (machineCode: string, token: string) => request(api.app).post('/v1/verifications').send({ machineCode, token });
  const bindOne = async (account: TestAccount) => {
    const response = await request(api.app).post('/v1/registrations').send(registrationBody(account, 1));
    assert.equal(response.status, 200);
    return (response.body as Registered).nodes[0] as Registered['nodes'][number];
  };

  before(async function () {
    api = await startTestApi({ LAST_SEEN_PERSIST_SECONDS: '1' });
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await api.close();
  });

  it('answers valid with the expiry while bound, and records last-seen in Redis and MySQL', async function () {
    const account = await api.createAccount({ expiresAt: '2030-01-31' });
    const node = await bindOne(account);
    const response = await verify(node.machineCode, node.token);
    assert.equal(response.status, 200);
    assert.deepEqual(withoutLease(response.body), { result: 'valid', expiresAt: '2030-01-31' });
    const record = await api.deps.redis.hget(accountKeys(api.config.redisKeyPrefix, account.id).bindings, node.machineCode);
    assert.ok((decodeBindingRecord(record ?? '')?.seconds ?? 0) > 0, 'last-seen recorded in Redis');
    await api.deps.context.lastSeen.flush();
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT last_seen_at FROM bindings WHERE account_id = ?', [account.id]);
    assert.ok(rows[0]?.last_seen_at, 'last-seen persisted to MySQL');
  });

  it('hands out tokens that do not show the account id, and keeps verifying the decimal ones nodes already hold', async function () {
    const account = await api.createAccount();
    const body = registrationBody(account, 1);
    const registered = await request(api.app).post('/v1/registrations').send(body);
    const node = (registered.body as Registered).nodes[0] as Registered['nodes'][number];
    assert.ok(!node.token.startsWith(`${account.id}.`), node.token);
    const [[row]] = await db.query<mysql.RowDataPacket[]>('SELECT nonce FROM bindings WHERE account_id = ?', [account.id]);
    const held = legacyToken(await loadOrCreateSecret(api.deps.pool, 'token_secret'), account.id, String(row?.nonce), node.machineCode);
    assert.equal((await verify(node.machineCode, held)).status, 200);
    const again = await request(api.app).post('/v1/registrations').send(body);
    assert.equal((again.body as Registered).nodes[0]?.token, node.token);
    assert.equal((await verify(node.machineCode, held)).status, 200, 'a re-registration does not log the old token out');
    assert.equal((await verify(node.machineCode, node.token)).status, 200);
  });

  it('records last-seen once per interval, however often a node beats', async function () {
    let nowMs = Date.parse('2026-06-01T00:00:00Z');
    const clocked = await startTestApi({ LAST_SEEN_PERSIST_SECONDS: '600' }, { now: () => new Date(nowMs) });
    try {
      const account = await clocked.createAccount();
      const registered = await request(clocked.app).post('/v1/registrations').send(registrationBody(account, 1));
      const node = (registered.body as Registered).nodes[0] as Registered['nodes'][number];
      const lastSeen = async () => {
        await clocked.deps.context.lastSeen.flush();
        const [rows] = await db.query<mysql.RowDataPacket[]>(
          'SELECT UNIX_TIMESTAMP(last_seen_at) AS at FROM bindings WHERE account_id = ?',
          [account.id],
        );
        return Number(rows[0]?.at);
      };
      for (const [advanceSeconds, expected] of [
        [0, '2026-06-01T00:00:00Z'],
        [300, '2026-06-01T00:00:00Z'],
        [400, '2026-06-01T00:11:40Z'],
      ] as const) {
        nowMs += advanceSeconds * 1000;
        assert.equal(
          (await request(clocked.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token })).status,
          200,
        );
        assert.equal(await lastSeen(), Date.parse(expected) / 1000, `after ${advanceSeconds} s more`);
      }
    } finally {
      await clocked.close();
    }
  });

  it('NOT_BOUND for an unknown token, a token of another machine and a forged one', async function () {
    const account = await api.createAccount();
    const node = await bindOne(account);
    const other = await bindOne(account);
    expectNodeCauses(await verify(node.machineCode, 'nonsense'), 409, { [node.machineCode]: ['NOT_BOUND'] });
    expectNodeCauses(await verify(node.machineCode, other.token), 409, { [node.machineCode]: ['NOT_BOUND'] });
    const forged = `${node.token.slice(0, -1)}${node.token.endsWith('A') ? 'B' : 'A'}`;
    expectNodeCauses(await verify(node.machineCode, forged), 409, { [node.machineCode]: ['NOT_BOUND'] });
  });

  it('ABNORMAL_ACCOUNT_STATUS and EXPIRED_CERTIFICATE once staff change the account', async function () {
    const account = await api.createAccount();
    const node = await bindOne(account);
    const update = await api.deps.context.accounts.findByName(account.name);
    assert.ok(update);
    const changed = await changeAccount(api.deps.context.accounts, account.name, {
      ...update.settings,
      status: 'frozen',
      expiresAt: '2019-02-22',
    });
    assert.ok(changed);
    await api.deps.context.bindingStore.invalidate(changed.id, changed.revision);
    const body = expectOverall(await verify(node.machineCode, node.token), 403, ['ABNORMAL_ACCOUNT_STATUS', 'EXPIRED_CERTIFICATE']);
    assert.deepEqual(body.overall[1]?.details, { expirationDate: '2019/02/22' });
  });

  it('keeps verifying from the ledger when Redis lost the account', async function () {
    const account = await api.createAccount();
    const node = await bindOne(account);
    const keys = accountKeys(api.config.redisKeyPrefix, account.id);
    await api.deps.redis.del(keys.state, keys.bindings);
    assert.equal((await verify(node.machineCode, node.token)).status, 200);
    await api.deps.redis.hdel(keys.bindings, node.machineCode);
    assert.equal((await verify(node.machineCode, node.token)).status, 200, 'a Redis missing a binding MySQL has is corrected');
  });
});

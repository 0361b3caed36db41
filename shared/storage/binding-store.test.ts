import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { createLogger } from '#shared/log/logger';
import { createMetrics, type Metrics } from '#shared/metrics/registry';
import { startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { nodeToBind } from '#shared/testing/nodes-to-bind';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { createBindingStore, type BindingStore } from './binding-store';
import { StoreFailure } from './errors';
import { createBindings, type Bindings } from './mysql/bindings';
import { encodeBindingRecord } from './redis/binding-record';
import { accountKeys } from './redis/keys';
import { createScripts, type Scripts } from './redis/scripts';

/**
 * The binding store's branches, each reached on purpose over real Redis and
 * MySQL: a fault is put where it would happen (a commit whose answer is lost
 * is a real commit followed by a lost answer), not left to a chaos test's
 * timing.
 */
describe('binding store', function () {
  let api: TestApi;
  let db: mysql.Connection;

  before(async function () {
    api = await startTestApi();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await api.close();
  });

  /** The store over the real stores, with the calls `override` and `overrideScripts` name put in their place. */
  function storeWith(
    override: (real: Bindings) => Partial<Bindings> = () => ({}),
    overrideScripts: (real: Scripts) => Partial<Scripts> = () => ({}),
  ): { store: BindingStore; metrics: Metrics } {
    const real = createBindings(api.deps.pool);
    const realScripts = createScripts(api.deps.redis);
    const metrics = createMetrics();
    const store = createBindingStore({
      scripts: { ...realScripts, ...overrideScripts(realScripts) },
      bindings: { ...real, ...override(real) },
      keyPrefix: api.config.redisKeyPrefix,
      metrics,
      logger: createLogger({ level: 'silent', name: 'binding-store-test' }),
      now: Date.now,
    });
    return { store, metrics };
  }

  const keysOf = (account: TestAccount) => accountKeys(api.config.redisKeyPrefix, account.id);
  const ledgerNonces = async (account: TestAccount) => {
    const [rows] = await db.query<mysql.RowDataPacket[]>(
      'SELECT machine_code, nonce FROM bindings WHERE account_id = ? ORDER BY machine_code',
      [account.id],
    );
    return Object.fromEntries(rows.map((row) => [String(row.machine_code), String(row.nonce)]));
  };
  const ledgerDecisions = async (metrics: Metrics) => (await metrics.ledgerDecisions.get()).values[0]?.value ?? 0;

  it("binds new machines, answers the ledger's seat count and turns the reservations into bindings", async function () {
    const account = await api.createAccount({ maxRegistrations: 3 });
    const { store } = storeWith();
    const result = await store.bind({
      accountId: account.id,
      maxRegistrations: 3,
      commit: true,
      nodes: [nodeToBind('a'), nodeToBind('b')],
    });
    assert.equal(result.kind, 'bound');
    assert.equal(result.used, 2);
    assert.deepEqual(Object.values(await ledgerNonces(account)).sort(), [...result.nonces].sort());
    assert.deepEqual((await api.deps.redis.hkeys(keysOf(account).bindings)).sort(), ['a', 'b']);
    assert.equal(await api.deps.redis.hlen(keysOf(account).pending), 0);
  });

  it('answers a commit whose answer was lost as bound, with the nonces the ledger holds', async function () {
    const account = await api.createAccount();
    const { store } = storeWith((real) => ({
      async persistRegistration(...args) {
        await real.persistRegistration(...args);
        throw new StoreFailure('mysql', 'connection lost after COMMIT');
      },
    }));
    const result = await store.bind({
      accountId: account.id,
      maxRegistrations: 10,
      commit: true,
      nodes: [nodeToBind('a'), nodeToBind('b')],
    });
    assert.equal(result.kind, 'bound');
    const held = await ledgerNonces(account);
    assert.deepEqual(result.nonces, [held.a, held.b]);
    assert.equal(result.used, 2);
    assert.equal(await api.deps.redis.hlen(keysOf(account).pending), 0, 'no reservation left behind');
  });

  it('throws the MySQL failure and leaves nothing behind when the commit did not happen', async function () {
    const account = await api.createAccount();
    const { store, metrics } = storeWith(() => ({
      persistRegistration: () => Promise.reject(new StoreFailure('mysql', 'connection refused')),
    }));
    await assert.rejects(
      store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] }),
      (error: unknown) => error instanceof StoreFailure && error.store === 'mysql',
    );
    assert.deepEqual(await ledgerNonces(account), {});
    assert.equal(await api.deps.redis.hlen(keysOf(account).pending), 0);
    assert.equal((await metrics.storeFailures.get()).values.find((value) => value.labels.operation === 'persist')?.value, 1);
  });

  it('lets the ledger decide when every refill reads a copy older than the Redis floor, and verifies from the ledger', async function () {
    const account = await api.createAccount();
    await api.deps.redis.set(keysOf(account).floor, '1000000000000');
    const { store, metrics } = storeWith();
    const result = await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(result.kind, 'bound');
    assert.equal(await ledgerDecisions(metrics), 1);
    const nonce = (await ledgerNonces(account)).a as string;
    const verified = await store.verify({
      accountId: account.id,
      machineCode: 'a',
      nonce,
      nowSeconds: Math.floor(Date.now() / 1000),
      lastSeenIntervalSeconds: 600,
    });
    assert.equal(verified.kind, 'bound');
  });

  it('lets the ledger decide when Redis does not know a seat the ledger holds', async function () {
    const account = await api.createAccount({ maxRegistrations: 2 });
    const { store, metrics } = storeWith();
    assert.equal((await store.bind({ accountId: account.id, maxRegistrations: 2, commit: true, nodes: [nodeToBind('a')] })).kind, 'bound');
    // A seat taken behind Redis's back: Redis still counts one of two.
    await db.query(
      "INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, app_name, app_version) VALUES (?, 'b', 'BBBBBBBBBBBBBBBB', 'b', '203.0.113.7', 'webroot', '11.0')",
      [account.id],
    );
    const result = await store.bind({ accountId: account.id, maxRegistrations: 2, commit: true, nodes: [nodeToBind('c')] });
    assert.deepEqual(result, { kind: 'over', overflowIndices: [0] });
    assert.equal(await ledgerDecisions(metrics), 1);
    assert.deepEqual(Object.keys(await ledgerNonces(account)).sort(), ['a', 'b']);
    assert.equal(await api.deps.redis.hlen(keysOf(account).pending), 0);
  });

  it('has the ledger confirm a refusal and binds when only an orphaned reservation filled the account in Redis', async function () {
    const account = await api.createAccount({ maxRegistrations: 2 });
    const { store, metrics } = storeWith();
    const bindTwoSeats = (codes: string[], commit = true) =>
      store.bind({ accountId: account.id, maxRegistrations: 2, commit, nodes: codes.map((code) => nodeToBind(code)) });
    // A fresh reservation whose reply and undo were lost with a failed-over master: Redis counts two of two.
    const orphan = encodeBindingRecord({ nonce: 'OOOOOOOOOOOOOOOO', seconds: Math.floor(Date.now() / 1000) });
    const leaveOrphan = () => api.deps.redis.hset(keysOf(account).pending, 'x', orphan);
    assert.equal((await bindTwoSeats(['a'])).kind, 'bound');
    await leaveOrphan();

    assert.equal((await bindTwoSeats(['c'], false)).kind, 'fits');
    assert.equal(await api.deps.redis.exists(keysOf(account).pending), 0, 'Redis, found wrong, is dropped');

    // 'a' registering again reloads the account; then the orphan is back.
    assert.equal((await bindTwoSeats(['a'])).kind, 'bound');
    await leaveOrphan();
    const result = await bindTwoSeats(['c']);
    assert.equal(result.kind, 'bound');
    assert.equal(result.used, 2);
    assert.deepEqual(Object.keys(await ledgerNonces(account)).sort(), ['a', 'c']);
    assert.equal(await api.deps.redis.hlen(keysOf(account).pending), 0);
    assert.equal(await ledgerDecisions(metrics), 2, 'each refusal the ledger overturned is counted');

    assert.deepEqual(await bindTwoSeats(['d', 'a']), { kind: 'over', overflowIndices: [0] });
    assert.equal(await ledgerDecisions(metrics), 2, 'a refusal the ledger confirms is not contention');
    assert.deepEqual(Object.keys(await ledgerNonces(account)).sort(), ['a', 'c']);
  });

  it("never brings a machine unbound behind Redis's back under its old nonce", async function () {
    const account = await api.createAccount();
    const { store } = storeWith();
    await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    const old = (await ledgerNonces(account)).a;
    await db.query("DELETE FROM bindings WHERE account_id = ? AND machine_code = 'a'", [account.id]);
    const result = await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(result.kind, 'bound');
    const now = (await ledgerNonces(account)).a;
    assert.notEqual(now, old, 'tokens of the old binding stay dead');
    assert.deepEqual(result.nonces, [now]);
  });

  it('unbinds what was bound and says which', async function () {
    const account = await api.createAccount();
    const { store } = storeWith();
    await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a'), nodeToBind('b')] });
    assert.deepEqual(await store.unbind(account.id, ['a', 'z']), { kind: 'unbound', bound: ['a'] });
    assert.deepEqual(Object.keys(await ledgerNonces(account)), ['b']);
  });

  it('refuses heartbeats of a released binding from Redis alone once MySQL confirmed it gone, until the machine is bound anew', async function () {
    const account = await api.createAccount();
    let ledgerReads = 0;
    const { store } = storeWith((real) => ({
      findBoundState(...args) {
        ledgerReads++;
        return real.findBoundState(...args);
      },
    }));
    const bound = await store.bind({
      accountId: account.id,
      maxRegistrations: 10,
      commit: true,
      nodes: [nodeToBind('a'), nodeToBind('b')],
    });
    assert.equal(bound.kind, 'bound');
    const [nonce] = bound.nonces;
    await store.unbind(account.id, ['a']);
    const heartbeat = (n: string) =>
      store.verify({
        accountId: account.id,
        machineCode: 'a',
        nonce: n,
        nowSeconds: Math.floor(Date.now() / 1000),
        lastSeenIntervalSeconds: 60,
      });
    assert.deepEqual(await heartbeat(nonce as string), { kind: 'not-bound' });
    assert.equal(ledgerReads, 1, 'the first heartbeat after the release asks MySQL');
    for (let i = 0; i < 5; i++) assert.deepEqual(await heartbeat(nonce as string), { kind: 'not-bound' });
    assert.equal(ledgerReads, 1, 'the next ones do not');
    assert.equal(await api.deps.redis.hget(keysOf(account).state, 'gone:a'), nonce, 'noted in the state, which goes with the next change');

    const again = await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(again.kind, 'bound');
    assert.equal(await api.deps.redis.hexists(keysOf(account).state, 'gone:a'), 0, 'a new binding of the machine clears its note');
    assert.equal((await heartbeat(again.nonces[0] as string)).kind, 'bound');
  });

  const redisDown = () => Promise.reject(new StoreFailure('redis', 'connection refused'));
  const failuresOf = async (metrics: Metrics, operation: string) =>
    (await metrics.storeFailures.get()).values.find((value) => value.labels.operation === operation)?.value ?? 0;
  const heartbeatOf = (store: BindingStore, account: TestAccount, machineCode: string, nonce: string) =>
    store.verify({ accountId: account.id, machineCode, nonce, nowSeconds: Math.floor(Date.now() / 1000), lastSeenIntervalSeconds: 600 });

  it('throws a Redis failure of the seat script, binding nothing and dropping the account so it reloads', async function () {
    const account = await api.createAccount();
    const { store: warm } = storeWith();
    await warm.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(await api.deps.redis.exists(keysOf(account).state), 1);
    const { store, metrics } = storeWith(undefined, () => ({ bindNodes: redisDown }));
    await assert.rejects(
      store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('b')] }),
      (error: unknown) => error instanceof StoreFailure && error.store === 'redis',
    );
    assert.deepEqual(Object.keys(await ledgerNonces(account)), ['a']);
    assert.equal(await api.deps.redis.exists(keysOf(account).state), 0, 'dropped');
    assert.equal(await failuresOf(metrics, 'bind'), 1);
  });

  it('throws a Redis failure of the refill, binding nothing', async function () {
    const account = await api.createAccount();
    const { store, metrics } = storeWith(undefined, () => ({ loadAccount: redisDown }));
    await assert.rejects(store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] }), StoreFailure);
    assert.deepEqual(await ledgerNonces(account), {});
    assert.equal(await failuresOf(metrics, 'load'), 1);
  });

  it('answers bound when settling in Redis fails after the commit, and drops the account so the next request reloads it', async function () {
    const account = await api.createAccount();
    const { store } = storeWith(undefined, () => ({ commitBindings: redisDown }));
    const result = await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(result.kind, 'bound');
    assert.deepEqual(Object.values(await ledgerNonces(account)), result.nonces);
    assert.equal(await api.deps.redis.exists(keysOf(account).state), 0);
    const { store: next } = storeWith();
    assert.equal((await heartbeatOf(next, account, 'a', result.nonces[0] as string)).kind, 'bound', 'reloaded from the ledger');
  });

  it("reads the ledger back when the ledger's own decision lost its answer after committing", async function () {
    const account = await api.createAccount();
    await api.deps.redis.set(keysOf(account).floor, '1000000000000');
    let lost = false;
    const { store, metrics } = storeWith((real) => ({
      async decideRegistration(...args) {
        const decided = await real.decideRegistration(...args);
        if (!lost) {
          lost = true;
          throw new StoreFailure('mysql', 'connection lost after COMMIT');
        }
        return decided;
      },
    }));
    const result = await store.bind({
      accountId: account.id,
      maxRegistrations: 10,
      commit: true,
      nodes: [nodeToBind('a'), nodeToBind('b')],
    });
    assert.equal(result.kind, 'bound');
    const held = await ledgerNonces(account);
    assert.deepEqual(result.nonces, [held.a, held.b]);
    assert.equal(await ledgerDecisions(metrics), 1, 'the read-back is not counted as another decision');
  });

  it('answers a heartbeat from the ledger when Redis fails, and when Redis says not bound but the ledger holds it', async function () {
    const account = await api.createAccount();
    const { store: warm } = storeWith();
    const bound = await warm.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(bound.kind, 'bound');
    const nonce = bound.nonces[0] as string;
    const { store: down, metrics } = storeWith(undefined, () => ({ verifyBinding: redisDown }));
    const fromLedger = await heartbeatOf(down, account, 'a', nonce);
    assert.equal(fromLedger.kind, 'bound');
    assert.equal(fromLedger.isLastSeenRecorded, true);
    assert.equal(await failuresOf(metrics, 'verify'), 1);

    // Redis lost the binding alone: the ledger confirms it, and the account is dropped to reload.
    await api.deps.redis.hdel(keysOf(account).bindings, 'a');
    assert.equal((await heartbeatOf(warm, account, 'a', nonce)).kind, 'bound');
    assert.equal(await api.deps.redis.exists(keysOf(account).state), 0);
    assert.equal((await heartbeatOf(warm, account, 'a', nonce)).kind, 'bound', 'and after the reload');
    assert.equal(await api.deps.redis.hexists(keysOf(account).bindings, 'a'), 1);
  });

  it('rolls the unbinding back in the ledger when Redis fails under it', async function () {
    const account = await api.createAccount();
    const { store: warm } = storeWith();
    await warm.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a'), nodeToBind('b')] });
    const { store, metrics } = storeWith(undefined, () => ({ unbindNodes: redisDown }));
    await assert.rejects(store.unbind(account.id, ['a']), (error: unknown) => error instanceof StoreFailure && error.store === 'redis');
    assert.deepEqual(Object.keys(await ledgerNonces(account)), ['a', 'b'], 'both still bound');
    assert.equal(await failuresOf(metrics, 'unbind'), 1);
  });

  it('keeps a lease beside its binding for every process, and drops it with the binding', async function () {
    const account = await api.createAccount();
    const { store } = storeWith();
    const bound = await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(bound.kind, 'bound');
    const nonce = bound.nonces[0] as string;
    const held = { nonce, kid: 'kid-1', iat: 1_700_000_000, exp: 1_700_086_400, lease: 'aGVhZA.cGF5bG9hZA.c2ln' };
    await store.keepLeases(account.id, [
      { machineCode: 'a', held },
      { machineCode: 'a-never-bound', held },
    ]);
    const heartbeat = () =>
      store.verify({
        accountId: account.id,
        machineCode: 'a',
        nonce,
        nowSeconds: Math.floor(Date.now() / 1000),
        lastSeenIntervalSeconds: 60,
      });
    const verified = await heartbeat();
    assert.equal(verified.kind, 'bound');
    assert.deepEqual(verified.heldLease, held);
    const fields = await api.deps.redis.hkeys(keysOf(account).state);
    assert.deepEqual(
      fields.filter((field) => field.startsWith('lease:')),
      ['lease:a'],
      'no lease kept for a machine Redis does not hold',
    );
    await store.unbind(account.id, ['a']);
    assert.equal(await api.deps.redis.hexists(keysOf(account).state, 'lease:a'), 0, 'gone with the state the unbinding dropped');
  });

  it("keeps the leases signed while the ledger wrote beside the bindings it committed, under each binding's nonce", async function () {
    const account = await api.createAccount();
    const { store } = storeWith();
    const signed = (machineCode: string) => ({ kid: 'kid-1', iat: 1_700_000_000, exp: 1_700_086_400, lease: `aGVhZA.${machineCode}.c2ln` });
    const first = await store.bind({ accountId: account.id, maxRegistrations: 10, commit: true, nodes: [nodeToBind('a')] });
    assert.equal(first.kind, 'bound');
    const again = await store.bind({
      accountId: account.id,
      maxRegistrations: 10,
      commit: true,
      nodes: [nodeToBind('a'), nodeToBind('b')],
      leases: Promise.resolve([signed('a'), signed('b')]),
    });
    assert.equal(again.kind, 'bound');
    assert.equal(again.nonces[0], first.nonces[0], 'a re-registered machine keeps its nonce');
    for (const [index, machineCode] of ['a', 'b'].entries()) {
      const verified = await store.verify({
        accountId: account.id,
        machineCode,
        nonce: again.nonces[index] as string,
        nowSeconds: Math.floor(Date.now() / 1000),
        lastSeenIntervalSeconds: 60,
      });
      assert.equal(verified.kind, 'bound');
      assert.deepEqual(verified.heldLease, { nonce: again.nonces[index], ...signed(machineCode) });
    }
  });
});

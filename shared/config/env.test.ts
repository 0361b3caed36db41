import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './env';

describe('configuration: the demo account', function () {
  it('is created by default outside production, so `npm start` works on a fresh machine', function () {
    assert.equal(loadConfig({}).seedDemoAccount, true);
    assert.equal(loadConfig({ NODE_ENV: 'development' }).seedDemoAccount, true);
  });

  it('is never created when NODE_ENV=production, unless asked for, and then the process refuses to start', function () {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).seedDemoAccount, false);
    assert.equal(loadConfig({ NODE_ENV: 'production', SEED_DEMO_ACCOUNT: 'false' }).seedDemoAccount, false);
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', SEED_DEMO_ACCOUNT: 'true' }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('SEED_DEMO_ACCOUNT'),
    );
    assert.throws(() => loadConfig({ NODE_ENV: 'production', SEED_DEMO_ACCOUNT: '1' }), ConfigError);
  });

  it('can be turned off anywhere', function () {
    assert.equal(loadConfig({ SEED_DEMO_ACCOUNT: 'false' }).seedDemoAccount, false);
  });
});

describe('configuration: attempts retention', function () {
  it('keeps 100 attempts of each credentials outcome per account for 30 days unless told otherwise', function () {
    assert.deepEqual(loadConfig({}).attempts, { keptPerAccount: 100, keptDays: 30 });
    assert.deepEqual(loadConfig({ ATTEMPTS_KEPT_PER_ACCOUNT: '5', ATTEMPTS_KEPT_DAYS: '7' }).attempts, { keptPerAccount: 5, keptDays: 7 });
  });

  it('refuses to keep none, or a value that is not a whole number', function () {
    assert.throws(
      () => loadConfig({ ATTEMPTS_KEPT_PER_ACCOUNT: '0' }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('ATTEMPTS_KEPT_PER_ACCOUNT'),
    );
    assert.throws(
      () => loadConfig({ ATTEMPTS_KEPT_DAYS: '1.5' }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('ATTEMPTS_KEPT_DAYS'),
    );
  });
});

describe('configuration: Redis Cluster', function () {
  it('uses one server unless REDIS_CLUSTER_NODES lists seeds, which it parses as host:port', function () {
    assert.deepEqual(loadConfig({}).redisClusterNodes, []);
    assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-a.internal:7001,[::1]:7002 ,' }).redisClusterNodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-a.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it('lists every seed that is not host:port', function () {
    assert.throws(
      () => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1,10.0.0.2:0,redis://10.0.0.3:7000,10.0.0.4:7000' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        ['"10.0.0.1"', '"10.0.0.2:0"', '"redis://10.0.0.3:7000"'].every((seed) => error.message.includes(seed)) &&
        !error.message.includes('10.0.0.4'),
    );
  });
});

describe('configuration: TRUST_PROXY', function () {
  it("takes express's trust proxy forms: true, false, a hop count, a list", function () {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy, 'loopback, 10.0.0.0/8');
  });

  it('refuses at start-up an entry that is no address, subnet or known name', function () {
    for (const TRUST_PROXY of ['yes', 'loopback, 10.0.0.0/33', '']) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY }),
        (error: unknown) => error instanceof ConfigError && error.message.includes('TRUST_PROXY'),
        TRUST_PROXY,
      );
    }
  });
});

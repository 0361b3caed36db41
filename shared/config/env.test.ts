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
    assert.throws(() => loadConfig({ NODE_ENV: 'production', SEED_DEMO_ACCOUNT: 'true' }), (error: unknown) => error instanceof ConfigError && /SEED_DEMO_ACCOUNT/.test(error.message));
    assert.throws(() => loadConfig({ NODE_ENV: 'production', SEED_DEMO_ACCOUNT: '1' }), ConfigError);
  });

  it('can be turned off anywhere', function () {
    assert.equal(loadConfig({ SEED_DEMO_ACCOUNT: 'false' }).seedDemoAccount, false);
  });
});

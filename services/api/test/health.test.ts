import assert from 'node:assert/strict';
import request from 'supertest';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';

describe('operational endpoints', function () {
  let api: TestApi;

  before(async function () {
    api = await startTestApi();
  });
  after(async function () {
    await api.close();
  });

  it('GET /healthz answers while the process is up', async function () {
    const response = await request(api.app).get('/healthz');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ok' });
  });

  it('GET /readyz answers ready, with the last store pings for information', async function () {
    await api.deps.storeHealth.check();
    const response = await request(api.app).get('/readyz');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ready', stores: { redis: 'up', mysql: 'up' } });
    const scrape = (await request(api.app).get('/metrics')).text;
    assert.match(scrape, /^regcloud_store_up\{store="redis"\} 1$/m);
    assert.match(scrape, /^regcloud_store_up\{store="mysql"\} 1$/m);
  });

  it('GET /readyz answers 503 once the process drains, /healthz still 200', async function () {
    const draining = await startTestApi();
    try {
      draining.deps.readiness.drain();
      const response = await request(draining.app).get('/readyz');
      assert.equal(response.status, 503);
      assert.equal((response.body as { status: string }).status, 'draining');
      assert.equal((await request(draining.app).get('/healthz')).status, 200);
    } finally {
      await draining.close();
    }
  });

  it('GET /metrics exposes process metrics, latency by route and registrations by result and cause', async function () {
    const account = await api.createAccount({ maxRegistrations: 1 });
    await request(api.app).post('/v1/registrations').send(registrationBody(account, 2));
    await request(api.app).post('/v1/registrations').send(registrationBody(account, 1));
    const response = await request(api.app).get('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers['content-type'] ?? '', /text\/plain/);
    assert.match(response.text, /^process_cpu_seconds_total /m);
    assert.match(response.text, /^regcloud_http_request_duration_seconds_bucket\{.*route="\/v1\/registrations".*\} \d+/m);
    assert.match(response.text, /^regcloud_registrations_total\{result="failure",cause="MAX_AUTHORIZATIONS_REACHED"\} 1$/m);
    assert.match(response.text, /^regcloud_registrations_total\{result="success",cause="none"\} 1$/m);
    assert.doesNotMatch(response.text, new RegExp(account.name), 'no account names in labels');
  });
});

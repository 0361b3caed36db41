import assert from 'node:assert/strict';
import request from 'supertest';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';

interface Registered {
  nodes: Array<{ machineCode: string; token: string }>;
}

/** Answers carry binding tokens: no browser, proxy or CDN may keep one. */
describe('Cache-Control on every answer', function () {
  let api: TestApi;

  before(async function () {
    api = await startTestApi();
  });
  after(async function () {
    await api.close();
  });

  it('no-store on a registration success and on valid and refused verifications', async function () {
    const account = await api.createAccount();
    const registered = await request(api.app).post('/v1/registrations').send(registrationBody(account, 1));
    assert.equal(registered.status, 200);
    assert.equal(registered.headers['cache-control'], 'no-store');
    const node = (registered.body as Registered).nodes[0] as Registered['nodes'][number];

    const valid = await request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });
    assert.equal(valid.status, 200);
    assert.equal(valid.headers['cache-control'], 'no-store');

    const refused = await request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: 'forged' });
    assert.equal(refused.status, 409);
    assert.equal(refused.headers['cache-control'], 'no-store');
  });

  it('no-store on the fallback answers and the operational endpoints', async function () {
    for (const path of ['/v1/nowhere', '/healthz', '/readyz', '/metrics']) {
      const response = await request(api.app).get(path);
      assert.equal(response.headers['cache-control'], 'no-store', path);
    }
  });
});

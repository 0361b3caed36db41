import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import type request from 'supertest';
import { API, startTestAdmin, type LoggedIn, type TestAdmin } from './support/test-admin';

/**
 * The served OpenAPI document describes what the routes answer: a walk over
 * every route, each answer checked with a JSON Schema validator against the
 * document's schema for that path, method and status.
 */
interface OpenApi {
  openapi: string;
  components: { schemas: Record<string, unknown> };
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json': { schema: unknown } } }> }>>;
}

describe('GET /admin/api/v1/openapi.json', function () {
  let admin: TestAdmin;
  let root: LoggedIn;
  let doc: OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });

  before(async function () {
    admin = await startTestAdmin();
    root = await admin.staffAgent('admin');
    doc = (await root.agent.get(`${API}/openapi.json`).expect(200)).body as OpenApi;
    ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc');
  });
  after(async function () {
    await admin.close();
  });

  function check(template: string, method: string, answer: request.Response): void {
    const operation = doc.paths[template]?.[method];
    assert.ok(operation, `${method} ${template} is described`);
    const response = operation.responses[String(answer.status)];
    assert.ok(response, `${method} ${template} ${answer.status} is described`);
    const schema = response.content?.['application/json'].schema;
    if (!schema) {
      assert.equal(answer.text, '', `${method} ${template} ${answer.status} has no body`);
      return;
    }
    const resolved = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as object;
    const validate = ajv.compile(resolved);
    assert.ok(
      validate(answer.body),
      `${method} ${template} ${answer.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(answer.body)}`,
    );
  }

  it('is OpenAPI 3.1 and needs a login like every route but POST /sessions', async function () {
    assert.equal(doc.openapi, '3.1.0');
    const { default: request } = await import('supertest');
    assert.equal((await request(admin.app).get(`${API}/openapi.json`)).status, 401);
  });

  it('describes the answers of every route', async function () {
    const csrf = { 'X-CSRF-Token': root.csrfToken };
    const name = `doc-${randomBytes(4).toString('hex')}`;
    // An IP literal: no DNS needed, and no worker runs in this file to try it.
    const created = await root.agent
      .post(`${API}/webhooks`)
      .set(csrf)
      .send({ url: 'http://8.8.8.8/doc', events: ['account.changed'] });
    check('/webhooks', 'post', created);
    const webhookId = (created.body as { id: string }).id;
    const walk: Array<[string, string, () => request.Test]> = [
      [
        '/accounts',
        'post',
        () =>
          root.agent
            .post(`${API}/accounts`)
            .set(csrf)
            .send({ name, password: 'S3cret!', version: '11.0', expiresAt: '2099-12-31', maxRegistrations: 3 }),
      ],
      [
        '/accounts',
        'post',
        () =>
          root.agent
            .post(`${API}/accounts`)
            .set(csrf)
            .send({ name, password: 'S3cret!', version: '11.0', expiresAt: '2099-12-31', maxRegistrations: 3 }),
      ],
      [
        '/accounts',
        'post',
        () =>
          root.agent
            .post(`${API}/accounts`)
            .set(csrf)
            .send({ name: 'x y', password: '', version: '', expiresAt: 'never', maxRegistrations: -1 }),
      ],
      ['/accounts', 'get', () => root.agent.get(`${API}/accounts?limit=2`)],
      ['/accounts', 'get', () => root.agent.get(`${API}/accounts?limit=501`)],
      ['/accounts/{name}', 'get', () => root.agent.get(`${API}/accounts/${name}`)],
      ['/accounts/{name}', 'get', () => root.agent.get(`${API}/accounts/nobody-${name}`)],
      ['/accounts/{name}', 'patch', () => root.agent.patch(`${API}/accounts/${name}`).set(csrf).send({ version: '12.0' })],
      [
        '/accounts/{name}',
        'patch',
        () => root.agent.patch(`${API}/accounts/${name}`).set(csrf).set('If-Match', '"1"').send({ version: '12.0' }),
      ],
      [
        '/accounts/{name}',
        'patch',
        () => root.agent.patch(`${API}/accounts/${name}`).set(csrf).set('If-Match', '"1"').send({ version: '13.0' }),
      ],
      [
        '/accounts/{name}/password',
        'post',
        () => root.agent.post(`${API}/accounts/${name}/password`).set(csrf).send({ password: 'n3w-Secret' }),
      ],
      ['/accounts/{name}/bindings', 'get', () => root.agent.get(`${API}/accounts/${name}/bindings`)],
      ['/accounts/{name}/attempts', 'get', () => root.agent.get(`${API}/accounts/${name}/attempts`)],
      ['/accounts/{name}/bindings/{machineCode}', 'delete', () => root.agent.delete(`${API}/accounts/${name}/bindings/none`).set(csrf)],
      ['/audit', 'get', () => root.agent.get(`${API}/audit?account=${name}`)],
      ['/staff', 'get', () => root.agent.get(`${API}/staff`)],
      [
        '/staff',
        'post',
        () =>
          root.agent
            .post(`${API}/staff`)
            .set(csrf)
            .send({ email: `${name}@vendor.example`, role: 'viewer', password: 'long enough password' }),
      ],
      ['/staff/{email}', 'patch', () => root.agent.patch(`${API}/staff/${name}@vendor.example`).set(csrf).send({ role: 'operator' })],
      ['/tokens', 'post', () => root.agent.post(`${API}/tokens`).set(csrf).send({ name: 'doc', role: 'viewer' })],
      ['/tokens', 'get', () => root.agent.get(`${API}/tokens`)],
      ['/tokens/{id}', 'delete', () => root.agent.delete(`${API}/tokens/999999999`).set(csrf)],
      ['/webhooks', 'post', () => root.agent.post(`${API}/webhooks`).set(csrf).send({ url: 'ftp://x', events: [], extra: 1 })],
      ['/webhooks', 'get', () => root.agent.get(`${API}/webhooks`)],
      [
        '/webhooks/{id}',
        'patch',
        () =>
          root.agent
            .patch(`${API}/webhooks/${webhookId}`)
            .set(csrf)
            .send({ events: ['binding.created'] }),
      ],
      ['/webhooks/{id}', 'patch', () => root.agent.patch(`${API}/webhooks/999999999`).set(csrf).send({ disabled: true })],
      ['/webhooks/{id}/deliveries', 'get', () => root.agent.get(`${API}/webhooks/${webhookId}/deliveries?status=pending`)],
      ['/webhooks/{id}/deliveries', 'get', () => root.agent.get(`${API}/webhooks/${webhookId}/deliveries?status=lost`)],
      [
        '/webhooks/{id}/deliveries/{eventId}/retry',
        'post',
        () => root.agent.post(`${API}/webhooks/${webhookId}/deliveries/msg_none/retry`).set(csrf),
      ],
      ['/webhooks/{id}', 'delete', () => root.agent.delete(`${API}/webhooks/${webhookId}`).set(csrf)],
      ['/webhooks/{id}', 'delete', () => root.agent.delete(`${API}/webhooks/${webhookId}`).set(csrf)],
      ['/sessions/current', 'delete', () => root.agent.delete(`${API}/sessions/current`).set(csrf)],
      ['/accounts', 'get', () => root.agent.get(`${API}/accounts`)],
    ];
    for (const [template, method, call] of walk) check(template, method, await call());
  });
});

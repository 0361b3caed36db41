import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import request from 'supertest';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES } from '#shared/domain/causes';
import { expectFallback, expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { expectMatchesNodeOpenApi, expectResponseMatchesNodeOpenApi, nodeOpenApi } from '#shared/testing/node-openapi';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

interface Described {
  openapi: string;
  components: { schemas: Record<string, { enum?: string[] }> };
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string; schema: { pattern?: string } }>;
        requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } };
        responses: Record<string, unknown>;
      }
    >
  >;
}

/**
 * GET /v1/openapi.json (contract v1.1): the served document is OpenAPI 3.1,
 * names every cause code, and describes what the routes answer. Every cause
 * assertion of the suite (expect-causes.ts) checks its answer against it too;
 * this file walks the success answers and the statuses the rest reaches.
 */
describe('GET /v1/openapi.json', function () {
  let api: TestApi;
  let served: Described;

  before(async function () {
    api = await startTestApi();
    const response = await request(api.app).get('/v1/openapi.json').expect(200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    served = response.body as Described;
  });
  after(async function () {
    await api.close();
  });

  it('is OpenAPI 3.1, the document the validator checks against, with every cause code as an enum', function () {
    assert.equal(served.openapi, '3.1.0');
    assert.deepEqual(served, JSON.parse(JSON.stringify(nodeOpenApi())));
    const { schemas } = served.components;
    assert.deepEqual(schemas.OverallCode?.enum, Object.keys(OVERALL_CAUSES));
    assert.deepEqual(schemas.NodeCode?.enum, Object.keys(NODE_CAUSES));
    assert.deepEqual(schemas.FallbackCode?.enum, [FALLBACK_CAUSE.code]);
    const text = JSON.stringify(served);
    for (const code of [...Object.keys(OVERALL_CAUSES), ...Object.keys(NODE_CAUSES), FALLBACK_CAUSE.code])
      assert.ok(text.includes(`"${code}"`), code);
    // The document's schemas are themselves valid JSON Schema 2020-12.
    const ajv = new Ajv2020({ strict: false, validateFormats: false, logger: false });
    ajv.addSchema({ $id: 'doc', components: served.components });
    assert.ok(ajv.getSchema('doc'));
  });

  it('describes every node route, the operational ones included, and the v1.1 request additions', function () {
    assert.deepEqual(Object.keys(served.paths).sort(), [
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/keys',
      '/v1/openapi.json',
      '/v1/registrations',
      '/v1/unbindings',
      '/v1/verifications',
    ]);
    const registrations = served.paths['/v1/registrations']?.post;
    assert.deepEqual(Object.keys(registrations?.responses ?? {}).sort(), [
      '200',
      '400',
      '401',
      '403',
      '405',
      '409',
      '422',
      '429',
      '500',
      '503',
    ]);
    assert.deepEqual(registrations?.requestBody?.content['application/json'].schema.properties?.dryRun, { type: 'boolean' });
    for (const path of ['/v1/registrations', '/v1/unbindings']) {
      const key = served.paths[path]?.post?.parameters?.find((parameter) => parameter.name === 'Idempotency-Key');
      assert.equal(key?.in, 'header', path);
      assert.equal(key.schema.pattern, '^[\\x21-\\x7E]{1,255}$', path);
    }
    assert.equal(served.paths['/v1/verifications']?.post?.parameters, undefined);
  });

  it('rejects answers it does not describe', function () {
    const json = { 'content-type': 'application/json' };
    const unknownCode = { result: 'failure', overall: [{ code: 'NO_SUCH_CAUSE', message: 'x' }], nodes: [] };
    assert.throws(() => expectMatchesNodeOpenApi('POST', '/v1/registrations', { status: 400, headers: json, body: unknownCode }));
    const wrongStage = { result: 'failure', overall: [{ code: 'EXPIRED_CERTIFICATE', message: 'Expired Certificate' }], nodes: [] };
    assert.throws(() => expectMatchesNodeOpenApi('POST', '/v1/registrations', { status: 400, headers: json, body: wrongStage }));
    assert.throws(() => expectMatchesNodeOpenApi('POST', '/v1/verifications', { status: 401, headers: json, body: wrongStage }));
    assert.throws(() => expectMatchesNodeOpenApi('POST', '/v1/verifications', { status: 200, headers: json, body: { result: 'success' } }));
    assert.throws(() => expectMatchesNodeOpenApi('GET', '/v1/keys', { status: 200, headers: json, body: { keys: [{ kty: 'RSA' }] } }));
    // Additive fields (v1.1) are allowed on every answer.
    expectMatchesNodeOpenApi('POST', '/v1/verifications', {
      status: 200,
      headers: json,
      body: { result: 'valid', expiresAt: '2099-12-31', lease: 'a.b.c', later: 1 },
    });
    expectMatchesNodeOpenApi('GET', '/v1/keys', {
      status: 200,
      headers: json,
      body: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'k1', alg: 'EdDSA', use: 'sig' }] },
    });
  });

  it('describes the success answers of every route, and the statuses the suite reaches', async function () {
    const account = await api.createAccount({ maxRegistrations: 3 });
    const post = (path: string, body: unknown) =>
      request(api.app)
        .post(path)
        .send(body as object);
    const check = (response: request.Response) => expectResponseMatchesNodeOpenApi(response);

    const dryRun = await post('/v1/registrations', { ...registrationBody(account, 2), dryRun: true });
    assert.equal(dryRun.status, 200);
    check(dryRun);
    const body = registrationBody(account, 2);
    const registered = await request(api.app).post('/v1/registrations').set('Idempotency-Key', 'openapi-1').send(body);
    assert.equal(registered.status, 200);
    check(registered);
    const replay = await request(api.app).post('/v1/registrations').set('Idempotency-Key', 'openapi-1').send(body);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    check(replay);
    expectFallback(
      await request(api.app)
        .post('/v1/registrations')
        .set('Idempotency-Key', 'openapi-1')
        .send({ ...body, x: 1 }),
      422,
    );
    const nodes = (registered.body as Registered).nodes;
    const [first, second] = nodes as [Registered['nodes'][number], Registered['nodes'][number]];

    const valid = await post('/v1/verifications', { machineCode: first.machineCode, token: first.token });
    assert.equal(valid.status, 200);
    check(valid);
    expectNodeCauses(await post('/v1/verifications', { machineCode: first.machineCode, token: 'forged' }), 409, {
      [first.machineCode]: ['NOT_BOUND'],
    });
    expectOverall(await post('/v1/verifications', { machineCode: 1 }), 400, ['INCORRECT_DATA_FORMAT']);

    expectOverall(await post('/v1/registrations', { ...registrationBody(account, 1), password: 'wrong' }), 401, ['UNAUTHORIZED_ACCOUNT']);
    expectOverall(await post('/v1/registrations', registrationBody(account, 1, { appVersion: '12.0' })), 403, ['VERSION_MISMATCH']);
    expectOverall(await request(api.app).post('/v1/registrations').set('Idempotency-Key', '').send(registrationBody(account, 1)), 400, [
      'INCORRECT_PARAMETER',
    ]);
    expectNodeCauses(await post('/v1/registrations', registrationBody(account, 2)), 409, { 'node-2': ['MAX_AUTHORIZATIONS_REACHED'] });

    const unbindBody = {
      account: account.name,
      password: account.password,
      nodes: [{ nodeId: second.nodeId, machineCode: second.machineCode }],
    };
    const unbound = await request(api.app).post('/v1/unbindings').set('Idempotency-Key', 'openapi-2').send(unbindBody);
    assert.equal(unbound.status, 200);
    check(unbound);
    const notBound = await post('/v1/unbindings', {
      ...unbindBody,
      nodes: [
        { nodeId: first.nodeId, machineCode: first.machineCode },
        { nodeId: second.nodeId, machineCode: second.machineCode },
      ],
    });
    expectNodeCauses(notBound, 409, { [second.nodeId]: ['NOT_BOUND'] });
    assert.deepEqual((notBound.body as { unbound?: string[] }).unbound, [first.nodeId]);
    expectOverall(await post('/v1/unbindings', { ...unbindBody, password: 'wrong' }), 401, ['UNAUTHORIZED_ACCOUNT']);

    for (const path of ['/v1/registrations', '/v1/unbindings', '/v1/verifications', '/v1/openapi.json'])
      expectFallback(await request(api.app).put(path).send({}), 405);
    expectFallback(await request(api.app).get('/v1/nowhere'), 404);
    expectFallback(await request(api.app).post('/healthz'), 404);

    for (const path of ['/healthz', '/readyz', '/metrics', '/v1/openapi.json']) {
      const response = await request(api.app).get(path);
      assert.equal(response.status, 200, path);
      check(response);
    }
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createLogger } from '#shared/log/logger';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';
import { startApiProcess, runStoresEnv } from './support/api-process';

type Line = Record<string, unknown>;

/**
 * Logs operators can follow (issue "Grow past one machine", item 7): one
 * access line per request with the route pattern, method, status, duration,
 * request id and account, and no secret; the ingress's request id kept when
 * well-formed; every answer counted in the latency histogram, unknown routes
 * under one label.
 */
describe('access log, request ids and request metrics', function () {
  let api: TestApi;
  const lines: Line[] = [];

  before(async function () {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Line);
        done();
      },
    });
    api = await startTestApi({}, { logger: createLogger({ level: 'info', name: 'access-log-test', destination }) });
  });
  after(async function () {
    await api.close();
  });

  /** The access line of the request answered with this id; it is written once the response closes. */
  async function accessLineOf(requestId: string): Promise<Line> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const found = lines.filter((line) => line.msg === 'request' && line.requestId === requestId);
      if (found.length > 0) {
        assert.equal(found.length, 1, 'one line per request');
        return found[0] as Line;
      }
      await sleep(10);
    }
    throw new Error(`no access line for ${requestId}`);
  }

  it('logs one line per request with route pattern, method, status, duration, request id and account, and no secret', async function () {
    const account = await api.createAccount({ maxRegistrations: 2 });
    const registered = await request(api.app).post('/v1/registrations').send(registrationBody(account, 1));
    assert.equal(registered.status, 200);
    const line = await accessLineOf(registered.headers['x-request-id'] as string);
    assert.equal(line.level, 30, 'info');
    assert.equal(line.route, '/v1/registrations');
    assert.equal(line.method, 'POST');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.accountId, account.id);

    const { nodes } = registered.body as { nodes: Array<{ machineCode: string; token: string }> };
    const node = nodes[0] as { machineCode: string; token: string };
    const verified = await request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });
    const verifyLine = await accessLineOf(verified.headers['x-request-id'] as string);
    assert.equal(verifyLine.route, '/v1/verifications');
    assert.equal(verifyLine.accountId, account.id, "a heartbeat's line names the account its token belongs to");

    const text = JSON.stringify(lines);
    assert.ok(!text.includes(account.password), 'no password');
    assert.ok(!text.includes(node.token), 'no token');
    const lease = (registered.body as { lease?: string }).lease;
    if (lease !== undefined) assert.ok(!text.includes(lease), 'no lease');
  });

  it('names the route pattern, not the raw URL, and unmatched for unknown paths', async function () {
    const unknown = await request(api.app).get('/v1/nowhere/secret-looking-path?password=x');
    assert.equal(unknown.status, 404);
    const line = await accessLineOf(unknown.headers['x-request-id'] as string);
    assert.equal(line.route, 'unmatched');
    assert.ok(!JSON.stringify(line).includes('secret-looking-path'));
  });

  it('keeps a well-formed incoming x-request-id and replaces a malformed one', async function () {
    const kept = await request(api.app).get('/healthz').set('x-request-id', 'edge-01:abc.DEF_9-x');
    assert.equal(kept.headers['x-request-id'], 'edge-01:abc.DEF_9-x');
    assert.equal((await accessLineOf('edge-01:abc.DEF_9-x')).route, '/healthz');
    for (const malformed of ['has space', 'x'.repeat(129), 'quote"inside', 'newline\\n', '']) {
      const replaced = await request(api.app).get('/healthz').set('x-request-id', malformed);
      const id = replaced.headers['x-request-id'] as string;
      assert.notEqual(id, malformed);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    const fresh = await request(api.app).get('/healthz');
    assert.match(fresh.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
  });

  it('counts 400, 404 and 405 answers in regcloud_http_request_duration_seconds', async function () {
    assert.equal((await request(api.app).post('/v1/registrations').set('content-type', 'application/json').send('{nope')).status, 400);
    assert.equal((await request(api.app).get('/v1/registrations')).status, 405);
    assert.equal((await request(api.app).get('/no/such/route/1')).status, 404);
    assert.equal((await request(api.app).get('/no/such/route/2')).status, 404);
    const scrape = (await request(api.app).get('/metrics')).text;
    const count = (labels: string) =>
      Number(new RegExp(`^regcloud_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(scrape)?.[1] ?? 'NaN');
    assert.ok(count('route="/v1/registrations",method="POST",status="400"') >= 1);
    assert.ok(count('route="/v1/registrations",method="GET",status="405"') >= 1);
    assert.ok(count('route="unmatched",method="GET",status="404"') >= 3);
    assert.doesNotMatch(scrape, /no\/such\/route/, 'raw URLs never become labels');
  });
});

describe('readiness of a real API process while it drains', function () {
  this.timeout(60_000);

  it('answers /readyz 503 from SIGTERM on while it still serves, then exits 0', async function () {
    const apiProcess = await startApiProcess({ ...runStoresEnv(), SHUTDOWN_DRAIN_MS: '3000' });
    try {
      assert.equal((await fetch(`${apiProcess.url}/readyz`)).status, 200);
      const stopped = apiProcess.stop();
      let status = 200;
      for (let attempt = 0; attempt < 40 && status === 200; attempt++) {
        status = (await fetch(`${apiProcess.url}/readyz`)).status;
        if (status === 200) await sleep(25);
      }
      assert.equal(status, 503, 'draining');
      // Still serving meanwhile: liveness holds and requests are answered.
      assert.equal((await fetch(`${apiProcess.url}/healthz`)).status, 200);
      assert.equal(await stopped, 0);
    } finally {
      await apiProcess.kill();
    }
  });
});

import assert from 'node:assert/strict';
import { WEBHOOK_EVENT_TYPES } from '#shared/domain/webhooks';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import pino from 'pino';
import request from 'supertest';
import { RUN_MYSQL_URL, testConfig } from '#shared/testing/test-environment';
import { registrationBody } from '#shared/testing/test-api';
import { API, startTestAdmin, type LoggedIn, type TestAdmin } from '../../admin/test/support/test-admin';
import { createWorkerDeps, type WorkerDeps } from '../src/deps';
import { deliverDue } from '../src/jobs/deliver-webhook';
import { startQueues, type RunningQueues } from '../src/queues';
import { createWebhookSender } from '../src/webhooks/send-webhook';
import { startTestPair, type TestPair } from './support/test-worker';

/**
 * Webhooks end to end over the real stores: events written by their real
 * triggers (node API, staff API), delivered by a real BullMQ worker to a real
 * HTTP receiver in this test, which verifies each signature the way the
 * Standard Webhooks specification tells receivers to.
 */
interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  at: number;
}

type Answer = { status: number; headers?: Record<string, string> } | 'hang';

/** A receiver: each path answers as its handler says (200 by default) and every request is kept. */
async function startReceiver() {
  const received: Received[] = [];
  const handlers = new Map<string, (count: number) => Answer>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({
        path,
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const answer = handlers.get(path)?.(received.filter((entry) => entry.path === path).length) ?? { status: 200 };
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    received,
    handlers,
    on: (path: string) => received.filter((entry) => entry.path === path),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Standard Webhooks verification, as a receiver writes it: the HMAC of "<id>.<timestamp>.<body>" with the decoded secret. */
function isSignedBy(secret: string, message: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${message.id}.${message.timestamp}.${message.body}`).digest();
  return message.signature.split(' ').some((part) => {
    const [version, value] = part.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface EventBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { account: string; sequence: number };
}
const eventOf = (message: Received) => JSON.parse(message.body) as EventBody;

describe('webhooks (outbox, BullMQ delivery, real receiver)', function () {
  this.timeout(90_000);
  let pair: TestPair;
  let admin: TestAdmin;
  let root: LoggedIn;
  let worker: WorkerDeps;
  let queues: RunningQueues | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let db: mysql.Connection;
  const logLines: string[] = [];
  const stopJobs = new AbortController();
  const config = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_SECONDS: '0.05,0.05' };

  before(async function () {
    pair = await startTestPair(config);
    admin = await startTestAdmin({ ...config, REDIS_KEY_PREFIX: pair.prefix });
    root = await admin.staffAgent('admin');
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    worker = await createWorkerDeps(testConfig({ ...config, REDIS_KEY_PREFIX: pair.prefix }), {
      logger: pino({ level: 'debug' }, logStream),
    });
    receiver = await startReceiver();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    stopJobs.abort();
    await queues?.close();
    await db.query('DELETE FROM webhook_deliveries');
    await db.query('DELETE FROM webhook_endpoints');
    await db.end();
    receiver.close();
    await worker.close();
    await admin.close();
    await pair.close();
  });

  const csrf = () => ({ 'X-CSRF-Token': root.csrfToken });
  async function subscribe(path: string, events: string[]): Promise<{ id: string; secret: string }> {
    const answer = await root.agent
      .post(`${API}/webhooks`)
      .set(csrf())
      .send({ url: `http://127.0.0.1:${receiver.port}${path}`, events });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body as { id: string; secret: string };
  }
  async function newAccount(overrides: Record<string, unknown> = {}) {
    const name = `wh-${randomBytes(5).toString('hex')}`;
    const password = 'S3cret-pass';
    const answer = await root.agent
      .post(`${API}/accounts`)
      .set(csrf())
      .send({ name, password, version: '11.0', expiresAt: '2099-12-31', maxRegistrations: 2, ...overrides });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return { name, password, id: 0 };
  }
  const deliveriesOf = async (endpointId: string) =>
    (await root.agent.get(`${API}/webhooks/${endpointId}/deliveries`).expect(200)).body as {
      items: Array<{ eventId: string; type: string; status: string; attempts: number; lastStatusCode: number | null }>;
    };
  const eventsFor = (path: string, account: string) => receiver.on(path).filter((message) => eventOf(message).data.account === account);
  const startWorker = async () => {
    queues = await startQueues(worker, {
      signal: stopJobs.signal,
      reconcile: { maxScanCalls: 1 },
      webhooks: { dispatchIntervalMs: 50, timeoutMs: 400 },
    });
  };

  it('delivers events committed while no worker was running, once the worker starts', async function () {
    const endpoint = await subscribe('/offline', ['account.changed']);
    const accounts = [await newAccount(), await newAccount(), await newAccount()];
    assert.equal(receiver.on('/offline').length, 0);
    await startWorker();
    await waitFor('three deliveries', () => (receiver.on('/offline').length >= 3 ? true : undefined));
    assert.deepEqual(
      new Set(receiver.on('/offline').map((message) => eventOf(message).data.account)),
      new Set(accounts.map((a) => a.name)),
    );
    assert.ok(receiver.on('/offline').every((message) => isSignedBy(endpoint.secret, message)));
  });

  it('announces every event type from its real trigger, signed, numbered in order per account', async function () {
    const endpoint = await subscribe('/all', [...WEBHOOK_EVENT_TYPES]);
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const account = await newAccount({ expiresAt: soon });
    const api = request(pair.api.app);
    const credentials = { ...account, id: 0 };

    const two = registrationBody(credentials, 2, { prefix: 'M' });
    assert.equal((await api.post('/v1/registrations').send(two)).status, 200);
    assert.equal((await api.post('/v1/registrations').send(two)).status, 200, 're-registration announces nothing');
    const third = registrationBody(credentials, 1, { prefix: 'X' });
    assert.equal((await api.post('/v1/registrations').send(third)).status, 409);
    assert.equal((await api.post('/v1/registrations').send({ ...third, password: 'wrong-password' })).status, 401);
    const unbind = { account: account.name, password: account.password, nodes: [{ nodeId: 'node-1', machineCode: 'M-1' }] };
    assert.equal((await api.post('/v1/unbindings').send(unbind)).status, 200);
    await root.agent.delete(`${API}/accounts/${account.name}/bindings/M-2`).set(csrf()).expect(204);
    const revision = (await root.agent.get(`${API}/accounts/${account.name}`).expect(200)).headers.etag as string;
    await root.agent.patch(`${API}/accounts/${account.name}`).set(csrf()).set('If-Match', revision).send({ version: '12.0' }).expect(200);
    await root.agent.post(`${API}/accounts/${account.name}/password`).set(csrf()).send({ password: 'An0ther-pass' }).expect(204);
    const today = new Date().toISOString().slice(0, 10);
    const lastDay = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    assert.ok((await worker.expiryNotices.announce({ today, lastDay })) >= 1);
    assert.equal(await worker.expiryNotices.announce({ today, lastDay }), 0, 'once a day');

    const expected = 11;
    const messages = await waitFor('every event of the account', () => {
      const got = eventsFor('/all', account.name);
      return got.length >= expected ? got : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(eventsFor('/all', account.name).length, expected, 'no event twice, none for a wrong password');
    for (const message of messages) assert.ok(isSignedBy(endpoint.secret, message), 'the signature verifies');
    const events = messages.map(eventOf).sort((a, b) => a.data.sequence - b.data.sequence);
    assert.deepEqual(
      events.map((event) => event.data.sequence),
      Array.from({ length: expected }, (_, index) => index + 1),
    );
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'account.changed',
        'binding.created',
        'binding.created',
        'account.seats_exhausted',
        'registration.failed',
        'account.seats_exhausted',
        'binding.released',
        'binding.released',
        'account.changed',
        'account.changed',
        'account.expiring',
      ],
    );
    const [created, bound, , exhausted, failed, refusedSeats, unbound, released, changed, reset, expiring] = events.map(
      (event) => event.data,
    );
    assert.deepEqual(created?.before, null);
    assert.equal((created.after as { maxRegistrations: number }).maxRegistrations, 2);
    assert.deepEqual({ machineCode: bound?.machineCode, nodeId: bound?.nodeId }, { machineCode: 'M-1', nodeId: 'node-1' });
    assert.deepEqual({ used: exhausted?.used, maxRegistrations: exhausted?.maxRegistrations }, { used: 2, maxRegistrations: 2 });
    assert.deepEqual(failed?.overall, []);
    assert.deepEqual(failed.nodes, [{ nodeId: 'node-1', machineCode: 'X-1', causes: ['MAX_AUTHORIZATIONS_REACHED'] }]);
    assert.equal(refusedSeats?.used, 2);
    assert.deepEqual({ machineCode: unbound?.machineCode, reason: unbound?.reason }, { machineCode: 'M-1', reason: 'unbound' });
    assert.deepEqual({ machineCode: released?.machineCode, reason: released?.reason }, { machineCode: 'M-2', reason: 'released' });
    assert.deepEqual({ before: changed?.before, after: changed?.after }, { before: { version: '11.0' }, after: { version: '12.0' } });
    assert.deepEqual({ before: reset?.before, after: reset?.after }, { before: null, after: null });
    assert.equal(expiring?.expiresAt, soon);
    assert.ok(events.every((event) => event.data.account === account.name && !Number.isNaN(Date.parse(event.timestamp))));
  });

  it('retries a receiver failing its first two attempts with the same webhook-id, counting attempts', async function () {
    receiver.handlers.set('/flaky', (count) => ({ status: count <= 2 ? 500 : 204 }));
    const endpoint = await subscribe('/flaky', ['account.changed']);
    const account = await newAccount();
    await waitFor('the third attempt', () => (eventsFor('/flaky', account.name).length >= 3 ? true : undefined));
    const attempts = eventsFor('/flaky', account.name);
    assert.equal(new Set(attempts.map((message) => message.id)).size, 1, 'one webhook-id on every retry');
    const delivery = await waitFor('delivered', async () =>
      (await deliveriesOf(endpoint.id)).items.find((item) => item.eventId === attempts[0]?.id && item.status === 'delivered'),
    );
    assert.deepEqual({ attempts: delivery.attempts, lastStatusCode: delivery.lastStatusCode }, { attempts: 3, lastStatusCode: 204 });
  });

  it('retries after a receiver that never answers, within the timeout', async function () {
    receiver.handlers.set('/silent', (count) => (count === 1 ? 'hang' : { status: 200 }));
    const endpoint = await subscribe('/silent', ['account.changed']);
    await newAccount();
    const delivery = await waitFor('delivered after a timeout', async () =>
      (await deliveriesOf(endpoint.id)).items.find((item) => item.status === 'delivered'),
    );
    assert.deepEqual({ attempts: delivery.attempts, lastStatusCode: delivery.lastStatusCode }, { attempts: 2, lastStatusCode: 200 });
  });

  it('marks a delivery failed after N + 1 attempts, and the retry route makes one more', async function () {
    let isUp = false;
    receiver.handlers.set('/down', () => ({ status: isUp ? 200 : 503 }));
    const endpoint = await subscribe('/down', ['account.changed']);
    await newAccount();
    const dead = await waitFor('a dead letter', async () =>
      (await deliveriesOf(endpoint.id)).items.find((item) => item.status === 'failed'),
    );
    assert.deepEqual({ attempts: dead.attempts, lastStatusCode: dead.lastStatusCode }, { attempts: 3, lastStatusCode: 503 });
    const failed = await root.agent.get(`${API}/webhooks/${endpoint.id}/deliveries?status=failed`).expect(200);
    assert.equal((failed.body as { items: unknown[] }).items.length, 1);

    await root.agent.post(`${API}/webhooks/${endpoint.id}/deliveries/${dead.eventId}/retry`).set(csrf()).expect(202);
    const failedAgain = await waitFor('the retry failing again', async () =>
      (await deliveriesOf(endpoint.id)).items.find((item) => item.status === 'failed' && item.attempts === 4),
    );
    assert.equal(failedAgain.eventId, dead.eventId);
    isUp = true;
    await root.agent.post(`${API}/webhooks/${endpoint.id}/deliveries/${dead.eventId}/retry`).set(csrf()).expect(202);
    const delivered = await waitFor('the replay delivered', async () =>
      (await deliveriesOf(endpoint.id)).items.find((item) => item.status === 'delivered'),
    );
    assert.equal(delivered.attempts, 5);
    await root.agent.post(`${API}/webhooks/${endpoint.id}/deliveries/msg_unknown/retry`).set(csrf()).expect(404);
  });

  it('a retry of a delivered delivery that fails is failed again at once, though delays are left', async function () {
    let isUp = true;
    receiver.handlers.set('/relapse', () => ({ status: isUp ? 200 : 503 }));
    const endpoint = await subscribe('/relapse', ['account.changed']);
    const account = await newAccount();
    const delivered = await waitFor('delivered', async () =>
      (await deliveriesOf(endpoint.id)).items.find((item) => item.status === 'delivered'),
    );
    assert.equal(delivered.attempts, 1);
    isUp = false;
    await root.agent.post(`${API}/webhooks/${endpoint.id}/deliveries/${delivered.eventId}/retry`).set(csrf()).expect(202);
    const failed = await waitFor('the retry failing', async () =>
      (await deliveriesOf(endpoint.id)).items.find((item) => item.eventId === delivered.eventId && item.status === 'failed'),
    );
    assert.deepEqual({ attempts: failed.attempts, lastStatusCode: failed.lastStatusCode }, { attempts: 2, lastStatusCode: 503 });
    // Ten times the test's retry delays: a rescheduled attempt would have been sent by now.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(eventsFor('/relapse', account.name).length, 2, 'one send for the retry, none after it');
    const settled = (await deliveriesOf(endpoint.id)).items.find((item) => item.eventId === delivered.eventId);
    assert.equal(settled?.status, 'failed');
  });

  const waitUntilDisabled = (endpointId: string) =>
    waitFor('disabled', async () => {
      const listed = (await root.agent.get(`${API}/webhooks`).expect(200)).body as { items: Array<{ id: string; disabled: boolean }> };
      return listed.items.find((item) => item.id === endpointId)?.disabled === true ? true : undefined;
    });

  it('disables the endpoint on 410 Gone and fails its pending deliveries; PATCH enables it again', async function () {
    let isGone = true;
    receiver.handlers.set('/gone', () => ({ status: isGone ? 410 : 200 }));
    const endpoint = await subscribe('/gone', ['account.changed']);
    // A pending delivery not yet due (deliveries run concurrently, so one due now might be in flight already).
    await db.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at)
       SELECT id, ?, NOW(3) + INTERVAL 1 HOUR FROM webhook_events ORDER BY created_at DESC LIMIT 1`,
      [endpoint.id],
    );
    await newAccount();
    await waitUntilDisabled(endpoint.id);
    const items = (await deliveriesOf(endpoint.id)).items;
    assert.equal(items.length, 2);
    assert.ok(
      items.every((item) => item.status === 'failed'),
      JSON.stringify(items),
    );
    assert.deepEqual(
      items.map((item) => item.lastStatusCode),
      [410, null],
    );
    await newAccount();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.on('/gone').length, 1, 'nothing more is sent to a gone endpoint');
    assert.equal((await deliveriesOf(endpoint.id)).items.length, 2, 'a disabled endpoint gets no new deliveries');

    isGone = false;
    const enabled = await root.agent.patch(`${API}/webhooks/${endpoint.id}`).set(csrf()).send({ disabled: false }).expect(200);
    assert.equal((enabled.body as { disabled: boolean }).disabled, false);
    await newAccount();
    await waitFor('delivered again', async () =>
      (await deliveriesOf(endpoint.id)).items.some((item) => item.status === 'delivered') ? true : undefined,
    );
  });

  /**
   * Two deliveries due at once to `path`, written in one statement, so that
   * one claim takes both and sends them together; answers, once a 410 has
   * disabled the endpoint, each delivery's status and last status code.
   */
  async function batchOfTwoUntilDisabled(path: string): Promise<string[]> {
    await newAccount();
    await newAccount();
    const endpoint = await subscribe(path, ['account.changed']);
    await db.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at)
       SELECT id, ?, NOW(3) FROM webhook_events ORDER BY created_at DESC LIMIT 2`,
      [endpoint.id],
    );
    await waitUntilDisabled(endpoint.id);
    assert.equal(receiver.on(path).length, 2);
    return (await deliveriesOf(endpoint.id)).items.map((item) => `${item.status} ${String(item.lastStatusCode)}`).sort();
  }

  it('keeps what a batch delivered when another delivery of the same batch answers 410', async function () {
    receiver.handlers.set('/half-gone', (count) => ({ status: count === 1 ? 200 : 410 }));
    assert.deepEqual(await batchOfTwoUntilDisabled('/half-gone'), ['delivered 200', 'failed 410']);
  });

  it('records the 410 on every delivery of a batch that was answered it', async function () {
    receiver.handlers.set('/all-gone', () => ({ status: 410 }));
    assert.deepEqual(await batchOfTwoUntilDisabled('/all-gone'), ['failed 410', 'failed 410']);
  });

  it("waits for the receiver's Retry-After when it is longer than the delay", async function () {
    receiver.handlers.set('/later', (count) => (count === 1 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 200 }));
    await subscribe('/later', ['account.changed']);
    const account = await newAccount();
    const attempts = await waitFor('the second attempt', () => {
      const got = eventsFor('/later', account.name);
      return got.length >= 2 ? got : undefined;
    });
    const gap = (attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0);
    assert.ok(gap >= 950, `second attempt ${gap} ms after the first`);
  });

  it('does not follow a redirect', async function () {
    receiver.handlers.set('/moved', () => ({ status: 302, headers: { Location: '/elsewhere' } }));
    const endpoint = await subscribe('/moved', ['account.changed']);
    await newAccount();
    const dead = await waitFor('failed', async () => (await deliveriesOf(endpoint.id)).items.find((item) => item.status === 'failed'));
    assert.equal(dead.lastStatusCode, 302);
    assert.equal(receiver.on('/elsewhere').length, 0);
  });

  it('sends nothing more when a job for an endpoint whose deliveries were delivered runs again', async function () {
    const endpoint = await subscribe('/once', ['account.changed']);
    const account = await newAccount();
    await waitFor('delivered', async () => ((await deliveriesOf(endpoint.id)).items[0]?.status === 'delivered' ? true : undefined));
    const sender = createWebhookSender({ timeoutMs: 1000, isPrivateAllowed: true, nowMs: Date.now });
    const outcomes = await deliverDue(
      {
        deliveries: worker.webhookDeliveries,
        sender,
        metrics: worker.metrics,
        logger: worker.logger,
        retryDelaysSeconds: [0.05],
        leaseSeconds: 30,
        random: Math.random,
        nowMs: Date.now,
      },
      Number(endpoint.id),
    );
    sender.close();
    assert.deepEqual(outcomes, {});
    assert.equal(eventsFor('/once', account.name).length, 1);
  });

  it('refuses private targets at creation and at delivery unless WEBHOOK_ALLOW_PRIVATE_TARGETS', async function () {
    const strict = await startTestAdmin({ REDIS_KEY_PREFIX: pair.prefix });
    try {
      const strictRoot = await strict.staffAgent('admin');
      for (const url of [
        `http://localhost:${receiver.port}/x`,
        'http://10.0.0.8/x',
        'http://[::1]/x',
        'http://no-such-host.invalid/x',
        'ftp://8.8.8.8/x',
      ]) {
        const answer = await strictRoot.agent
          .post(`${API}/webhooks`)
          .set('X-CSRF-Token', strictRoot.csrfToken)
          .send({ url, events: ['account.changed'] });
        assert.equal(answer.status, 422, `${url}: ${JSON.stringify(answer.body)}`);
        const body = answer.body as { error: { code: string; details: { fields: Array<{ field: string }> } } };
        assert.equal(body.error.code, 'VALIDATION_FAILED');
        assert.deepEqual(
          body.error.details.fields.map((field) => field.field),
          ['url'],
        );
      }
    } finally {
      await strict.close();
    }
    // With the setting, a host that does not resolve is no reason to refuse either; a scheme still is.
    for (const [url, status] of [
      ['http://no-such-host.invalid/x', 201],
      ['ftp://127.0.0.1/x', 422],
    ] as const) {
      const answer = await root.agent
        .post(`${API}/webhooks`)
        .set(csrf())
        .send({ url, events: ['account.changed'] });
      assert.equal(answer.status, status, `${url}: ${JSON.stringify(answer.body)}`);
      if (status === 201)
        await root.agent
          .delete(`${API}/webhooks/${(answer.body as { id: string }).id}`)
          .set(csrf())
          .expect(204);
    }
    // At delivery, the address connected to is checked: localhost resolves to loopback.
    const sender = createWebhookSender({ timeoutMs: 1000, isPrivateAllowed: false, nowMs: Date.now });
    const before = receiver.on('/private').length;
    const message = { secret: 'whsec_AAAA', eventId: 'msg_x', body: '{}' };
    const byName = await sender.send({ ...message, url: `http://localhost:${receiver.port}/private` });
    const byAddress = await sender.send({ ...message, url: `http://127.0.0.1:${receiver.port}/private` });
    sender.close();
    assert.equal(byName.kind, 'blocked', JSON.stringify(byName));
    assert.equal(byAddress.kind, 'blocked', JSON.stringify(byAddress));
    assert.equal(receiver.on('/private').length, before, 'nothing reached the receiver');
  });

  it('never shows the secret after creation, nor writes it to the audit log or the logs', async function () {
    const endpoint = await subscribe('/quiet', ['account.changed']);
    const listed = (await root.agent.get(`${API}/webhooks`).expect(200)).text;
    assert.ok(!listed.includes(endpoint.secret));
    const patched = await root.agent
      .patch(`${API}/webhooks/${endpoint.id}`)
      .set(csrf())
      .send({ events: ['binding.created'] })
      .expect(200);
    assert.ok(!patched.text.includes(endpoint.secret));
    const [audit] = await db.query<mysql.RowDataPacket[]>(
      "SELECT details, before_json, after_json FROM audit_log WHERE action LIKE 'webhook.%'",
    );
    assert.ok(audit.length >= 2);
    assert.ok(!JSON.stringify(audit).includes('whsec_'));
    assert.ok(logLines.length > 0);
    assert.ok(!logLines.join('').includes('whsec_'), 'no secret in the worker log');
    await root.agent.delete(`${API}/webhooks/${endpoint.id}`).set(csrf()).expect(204);
    await root.agent.delete(`${API}/webhooks/${endpoint.id}`).set(csrf()).expect(404);
    await root.agent.get(`${API}/webhooks/${endpoint.id}/deliveries`).expect(404);
  });
});

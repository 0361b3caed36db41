import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import mysql from 'mysql2/promise';
import { REPO_ROOT } from '#shared/paths';
import { closeServer, createNodeServer, listen } from '#shared/http/node-server';
import { changeAccount } from '#shared/testing/change-account';
import { randomName, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import {
  backoffDelayMs,
  createMemoryLeaseStore,
  createRegcloudClient,
  type CallError,
  type ClientOptions,
  type Fetch,
  type LicenseState,
  type NodeDescription,
  type RegisteredNode,
} from './regcloud-client';

const noWait = () => Promise.resolve();

/** A cloud that answers from a script: each entry one attempt, 'network' a connection that fails. */
function scriptedFetch(script: Array<'network' | { status: number; body: unknown; headers?: Record<string, string> }>) {
  const keys: Array<string | null> = [];
  const fetch: Fetch = (_url, init) => {
    keys.push(new Headers(init.headers).get('idempotency-key'));
    const next = script.shift();
    if (next === undefined || next === 'network') return Promise.reject(new TypeError('fetch failed'));
    const body = typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
    return Promise.resolve(new Response(body, { status: next.status, headers: next.headers ?? {} }));
  };
  return { fetch, keys };
}

/** A clock that only the client's sleeps move, and the sleeps it was asked for. */
function fakeTime() {
  const time = { nowMs: Date.parse('2026-06-01T00:00:00Z'), sleeps: [] as number[] };
  return {
    time,
    now: () => new Date(time.nowMs),
    sleep: (ms: number) => {
      time.sleeps.push(ms);
      time.nowMs += ms;
      return Promise.resolve();
    },
  };
}

const failure = (...codes: string[]) => ({ result: 'failure', overall: codes.map((code) => ({ code, message: code })), nodes: [] });
const nodeFailure = (code: string) => ({
  result: 'failure',
  overall: [],
  nodes: [{ nodeId: 'n-1', machineCode: 'M-1', causes: [{ code, message: code }] }],
});
const success = { result: 'success', account: 'acme', expiresAt: '2099-12-31', maxRegistrations: 10, used: 1, nodes: [] };
const registration = { password: 'pw', appVersion: '11.0', nodes: [] };

function scriptedClient(script: Parameters<typeof scriptedFetch>[0], options: Partial<ClientOptions> = {}) {
  const cloud = scriptedFetch(script);
  const { time, now, sleep } = fakeTime();
  const client = createRegcloudClient({ baseUrl: 'http://cloud.invalid', account: 'acme', fetch: cloud.fetch, now, sleep, ...options });
  return { client, keys: cloud.keys, time };
}

function errorOf(result: { ok: true } | { ok: false; error: CallError }): CallError {
  assert.ok(!result.ok, 'the call failed');
  return result.error;
}

describe('regcloud client (shared/client)', function () {
  describe('retries', function () {
    it('waits a full-jitter delay: anywhere below min(max, base · 2^(retry−1)), never more', function () {
      const policy = { baseDelayMs: 250, maxDelayMs: 10_000 };
      for (let retry = 1; retry <= 12; retry++) {
        const ceiling = Math.min(10_000, 250 * 2 ** (retry - 1));
        assert.equal(
          backoffDelayMs(retry, policy, () => 0),
          0,
        );
        assert.equal(
          backoffDelayMs(retry, policy, () => 0.999_999_9),
          ceiling - 1,
        );
        for (let sample = 0; sample < 200; sample++) {
          const delay = backoffDelayMs(retry, policy, Math.random);
          assert.ok(delay >= 0 && delay < ceiling, `retry ${retry}: ${delay} ms`);
        }
      }
    });

    it('retries network errors, 503 and a key in flight (409 with the fallback cause) with one Idempotency-Key', async function () {
      const { client, keys, time } = scriptedClient([
        'network',
        { status: 503, body: nodeFailure('REDIS_INSERT_FAILED') },
        { status: 409, body: failure('LICENSE_FILE_FORMAT_INCORRECT') },
        { status: 200, body: success, headers: { 'Idempotent-Replayed': 'true' } },
      ]);
      const result = await client.register(registration);
      assert.ok(result.ok);
      assert.equal(result.attempts, 4);
      assert.equal(result.isReplayed, true);
      assert.equal(keys.length, 4);
      assert.match(keys[0] ?? '', /^[\x21-\x7E]{1,255}$/);
      assert.ok(
        keys.every((key) => key === keys[0]),
        "every retry carries the first attempt's key",
      );
      time.sleeps.forEach((ms, index) => assert.ok(ms >= 0 && ms < 250 * 2 ** index, `retry ${index + 1} waited ${ms} ms`));
    });

    it('uses a new key for each logical call, and the one the caller kept when given', async function () {
      const { client, keys } = scriptedClient([
        { status: 200, body: success },
        { status: 200, body: success },
        { status: 200, body: { result: 'success', nodes: [] } },
      ]);
      await client.register(registration);
      await client.register(registration, { idempotencyKey: 'kept-key-1' });
      await client.unbind({ password: 'pw', nodes: [] });
      assert.equal(new Set(keys).size, 3);
      assert.equal(keys[1], 'kept-key-1');
      assert.ok(keys[2] !== null, 'unbindings carry one too');
    });

    it('sends no Idempotency-Key with a verification: the contract scopes keys to registrations and unbindings', async function () {
      const { client, keys } = scriptedClient([{ status: 200, body: { result: 'valid', expiresAt: '2099-12-31' } }]);
      assert.ok((await client.verify({ machineCode: 'M-1', token: 't' })).ok);
      assert.deepEqual(keys, [null]);
    });

    it('waits what Retry-After asks (seconds) instead of its own backoff', async function () {
      const { client, time } = scriptedClient([
        { status: 429, body: failure('LICENSE_FILE_FORMAT_INCORRECT'), headers: { 'Retry-After': '7' } },
        { status: 200, body: success },
      ]);
      assert.ok((await client.register(registration)).ok);
      assert.deepEqual(time.sleeps, [7000]);
    });

    it('answers a Retry-After past its deadline at once, as a transient refusal with the seconds asked', async function () {
      const { client, keys, time } = scriptedClient([
        { status: 429, body: failure('LICENSE_FILE_FORMAT_INCORRECT'), headers: { 'Retry-After': '3600' } },
      ]);
      const error = errorOf(await client.unbind({ password: 'pw', nodes: [] }));
      assert.deepEqual(time.sleeps, []);
      assert.equal(keys.length, 1);
      assert.ok(error.kind === 'refused');
      assert.equal(error.status, 429);
      assert.equal(error.isTransient, true);
      assert.equal(error.retryAfterSeconds, 3600);
    });

    it('stops after maxAttempts and reports the transport failure', async function () {
      const { client, keys, time } = scriptedClient(Array<'network'>(10).fill('network'), { retry: { maxAttempts: 4 } });
      const error = errorOf(await client.register(registration));
      assert.equal(error.kind, 'unreachable');
      assert.equal(error.attempts, 4);
      assert.equal(keys.length, 4);
      assert.equal(time.sleeps.length, 3);
    });

    it('starts no retry whose wait would end past the deadline', async function () {
      const { client, time } = scriptedClient(Array<'network'>(100).fill('network'), {
        retry: { maxAttempts: 100, baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 3500 },
        random: () => 0.999,
      });
      const error = errorOf(await client.register(registration));
      assert.deepEqual(time.sleeps, [999, 999, 999]);
      assert.equal(error.attempts, 4);
    });

    it('does not retry final answers: a 400, 401, 403 or 409 with node causes', async function () {
      for (const [status, body] of [
        [400, failure('INCORRECT_PARAMETER')],
        [401, failure('UNAUTHORIZED_ACCOUNT')],
        [403, failure('EXPIRED_CERTIFICATE')],
        [409, nodeFailure('MAX_AUTHORIZATIONS_REACHED')],
      ] as const) {
        const { client, keys } = scriptedClient([
          { status, body },
          { status: 200, body: success },
        ]);
        const error = errorOf(await client.register(registration));
        assert.equal(keys.length, 1, `${status} is final`);
        assert.ok(error.kind === 'refused');
        assert.equal(error.isTransient, false);
        assert.equal(
          error.failure.overall[0]?.code ?? error.failure.nodes[0]?.causes[0]?.code,
          (body.overall[0] ?? body.nodes[0]?.causes[0])?.code,
        );
      }
    });

    it("tells an answer that is not the contract's from a refusal, retrying it only when its status is transient", async function () {
      const html = { status: 502, body: '<html>Bad gateway</html>' };
      const { client, keys } = scriptedClient([html, html, { status: 200, body: { unexpected: true } }]);
      assert.deepEqual(errorOf(await client.register(registration)), { kind: 'bad-answer', status: 200, attempts: 3 });
      assert.equal(keys.length, 3);
    });
  });

  it('imports nothing but Node built-ins and jose, so it can be published alone', function () {
    const source = readFileSync(path.join(REPO_ROOT, 'shared', 'client', 'regcloud-client.ts'), 'utf8');
    const imported = [...source.matchAll(/\bfrom\s+'([^']+)'/g)].map((match) => match[1]);
    assert.ok(imported.includes('jose'));
    for (const name of imported) assert.ok(name === 'jose' || name?.startsWith('node:'), `imports ${name}`);
    assert.doesNotMatch(source, /require\(|import\(/);
  });

  describe('against the API (real stores), stopped and started again', function () {
    let api: TestApi;
    let db: mysql.Connection;
    let server: Server | undefined;
    let port = 0;
    const baseUrl = () => `http://127.0.0.1:${port}`;

    const startServer = async () => {
      const started = createNodeServer(api.app, api.config.http);
      // The same port again, so a client that began before the restart reaches the new server.
      await listen(started, port, '127.0.0.1');
      port = (started.address() as AddressInfo).port;
      server = started;
    };
    const stopServer = async () => {
      if (server?.listening) await closeServer(server);
    };
    const ledgerCount = async (account: TestAccount) => {
      const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id = ?', [account.id]);
      return Number(rows[0]?.n);
    };
    const nodesOf = (count: number): NodeDescription[] => {
      const prefix = randomName('m');
      return Array.from({ length: count }, (_, index) => ({
        nodeId: `node-${index + 1}`,
        ip: '203.0.113.7',
        domain: 'report.acme.com',
        appName: 'webroot',
        machineCode: `${prefix}-${index + 1}`,
      }));
    };
    const clientFor = (account: TestAccount, options: Partial<ClientOptions> = {}) =>
      createRegcloudClient({ baseUrl: baseUrl(), account: account.name, sleep: noWait, retry: { maxAttempts: 2 }, ...options });
    const registerCluster = async (account: TestAccount, client: ReturnType<typeof clientFor>, count = 2) => {
      const result = await client.register({ password: account.password, appVersion: '11.0', nodes: nodesOf(count) });
      assert.ok(result.ok, JSON.stringify(result));
      return result.body.nodes.map((node) => node as RegisteredNode & { lease: string });
    };
    const expectUnlicensed = (state: LicenseState) => {
      assert.ok(state.state === 'unlicensed', `unlicensed, not ${state.state}`);
      return state.causes;
    };

    before(async function () {
      api = await startTestApi();
      db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    });
    beforeEach(startServer);
    afterEach(stopServer);
    after(async function () {
      await db.end();
      await api.close();
    });

    it("keeps a registered node licensed from its lease while the API is stopped, until the lease's exp", async function () {
      const account = await api.createAccount();
      let nowMs = Date.now();
      const client = clientFor(account, { now: () => new Date(nowMs) });
      const [node] = await registerCluster(account, client);
      assert.ok(node);
      const exp = new Date((decodeJwt(node.lease).exp as number) * 1000);

      const online = await client.heartbeat(node);
      assert.deepEqual(online, { state: 'licensed', expiresAt: '2099-12-31', leaseUntil: exp });

      await stopServer();
      const offline = await client.heartbeat(node);
      assert.ok(offline.state === 'licensed-offline', `licensed until ${exp.toISOString()}, not ${offline.state}`);
      assert.deepEqual(offline.until, exp);
      assert.equal(offline.error.kind, 'unreachable');
      assert.equal(offline.error.attempts, 2);

      nowMs = exp.getTime();
      const [cloud, lease] = expectUnlicensed(await client.heartbeat(node));
      assert.equal(cloud?.kind, 'unreachable');
      assert.deepEqual(lease, { kind: 'lease-expired', expiredAt: exp });
    });

    it('refuses, offline, a lease whose payload was changed, one another key signed, and one of another machine', async function () {
      const account = await api.createAccount();
      const store = createMemoryLeaseStore();
      const client = clientFor(account, { store });
      const [node, other] = await registerCluster(account, client);
      assert.ok(node && other);
      const { kid } = decodeProtectedHeader(node.lease);
      const [header, payload, signature] = node.lease.split('.') as [string, string, string];
      const claims = decodeJwt(node.lease);
      const longer = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 86_400 * 365 })).toString('base64url');
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const forged = (forgedKid: string | undefined) =>
        new SignJWT({ acct: account.name })
          .setProtectedHeader({ alg: 'EdDSA', ...(forgedKid === undefined ? {} : { kid: forgedKid }) })
          .setIssuer('regcloud')
          .setSubject(node.machineCode)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey);

      await stopServer();
      assert.equal((await client.heartbeat(node)).state, 'licensed-offline', 'the lease as signed counts');
      const leases: Array<[string, string]> = [
        [`${header}.${longer}.${signature}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
        [await forged(kid), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
        [await forged('another-kid'), 'ERR_JWKS_NO_MATCHING_KEY'],
        [other.lease, 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
        [`${header}.${payload}`, 'ERR_JWS_INVALID'],
      ];
      for (const [lease, reason] of leases) {
        await store.setLease(node.machineCode, lease);
        const [cloud, cause] = expectUnlicensed(await client.heartbeat(node));
        assert.equal(cloud?.kind, 'unreachable');
        assert.deepEqual(cause, { kind: 'lease-invalid', reason });
      }
    });

    it('completes a registration begun while the API was down once it is back, the server seeing one Idempotency-Key', async function () {
      const account = await api.createAccount();
      const keys: Array<string | null> = [];
      const recording: Fetch = (url, init) => {
        if (url.endsWith('/v1/registrations')) keys.push(new Headers(init.headers).get('idempotency-key'));
        return fetch(url, init);
      };
      const client = clientFor(account, { fetch: recording, sleep: startServer, retry: { maxAttempts: 3 } });
      const request = { password: account.password, appVersion: '11.0', nodes: nodesOf(2) };
      await stopServer();

      const result = await client.register(request);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.attempts, 2, 'the first attempt found no server');
      assert.equal(result.isReplayed, false);
      assert.equal(keys.length, 2);
      assert.equal(keys[1], keys[0]);

      const again = await client.register(request, { idempotencyKey: keys[0] as string });
      assert.ok(again.ok);
      assert.equal(again.isReplayed, true, 'the server kept the answer under the one key');
      assert.deepEqual(again.body, result.body);
      assert.equal(await ledgerCount(account), 2);
      assert.equal((await client.heartbeat(result.body.nodes[0] as RegisteredNode)).state, 'licensed');
    });

    it('retries a registration whose answer was lost and gets the first answer again, binding once', async function () {
      const account = await api.createAccount();
      let isAnswerLost = true;
      const losingFirstAnswer: Fetch = async (url, init) => {
        const response = await fetch(url, init);
        if (!isAnswerLost) return response;
        isAnswerLost = false;
        await response.arrayBuffer();
        throw new TypeError('fetch failed: the connection dropped before the answer arrived');
      };
      const client = clientFor(account, { fetch: losingFirstAnswer });
      const result = await client.register({ password: account.password, appVersion: '11.0', nodes: nodesOf(3) });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.attempts, 2);
      assert.equal(result.isReplayed, true, 'Idempotent-Replayed: the retry carried the first key and body');
      assert.equal(result.body.used, 3);
      assert.equal(await ledgerCount(account), 3);
      for (const node of result.body.nodes) assert.equal((await client.heartbeat(node)).state, 'licensed');
    });

    it('drops the leases of unbound nodes: NOT_BOUND online, nothing to run on offline', async function () {
      const account = await api.createAccount();
      const store = createMemoryLeaseStore();
      const client = clientFor(account, { store });
      const nodes = await registerCluster(account, client);
      const unbound = await client.unbind({
        password: account.password,
        nodes: nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
      });
      assert.ok(unbound.ok, JSON.stringify(unbound));
      assert.equal(await ledgerCount(account), 0);
      const [node] = nodes;
      assert.ok(node);
      assert.equal(await store.getLease(node.machineCode), undefined);

      const [refused] = expectUnlicensed(await client.heartbeat(node));
      assert.ok(refused?.kind === 'refused');
      assert.equal(refused.status, 409);
      assert.equal(refused.failure.nodes[0]?.causes[0]?.code, 'NOT_BOUND');
      await stopServer();
      assert.deepEqual(expectUnlicensed(await client.heartbeat(node))[1], { kind: 'no-lease' });
    });

    it('drops the lease at an online verdict (a frozen account), so going offline afterwards does not revive it', async function () {
      const account = await api.createAccount();
      const client = clientFor(account);
      const [node] = await registerCluster(account, client, 1);
      assert.ok(node);
      const stored = await api.deps.context.accounts.findByName(account.name);
      assert.ok(stored);
      const changed = await changeAccount(api.deps.context.accounts, account.name, { ...stored.settings, status: 'frozen' });
      await api.deps.context.bindingStore.invalidate(changed.id, changed.revision);

      const [refused] = expectUnlicensed(await client.heartbeat(node));
      assert.ok(refused?.kind === 'refused');
      assert.equal(refused.status, 403);
      assert.equal(refused.failure.overall[0]?.code, 'ABNORMAL_ACCOUNT_STATUS');
      await stopServer();
      assert.deepEqual(expectUnlicensed(await client.heartbeat(node))[1], { kind: 'no-lease' });
    });
  });
});

import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import request from 'supertest';
import { createAdminDeps } from '../../admin/src/deps';
import { parseCommandLine } from '../../admin/src/command-line';
import { runCommand } from '../../admin/src/run-command';
import { endOfExpiryDay, generateLeaseKeyPem, importLeaseKey, LEASE_ISSUER, signLease } from '#shared/security/leases';
import { changeAccount } from '#shared/testing/change-account';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';

interface Registered {
  account: string;
  nodes: Array<{ nodeId: string; machineCode: string; token: string; lease: string }>;
}
interface Verified {
  result: string;
  lease?: string;
}

const DEFAULT_LEASE_SECONDS = 259_200;

async function jwksOf(api: TestApi): Promise<JSONWebKeySet> {
  const response = await request(api.app).get('/v1/keys');
  assert.equal(response.status, 200);
  return response.body as JSONWebKeySet;
}

/** Verifies with jose against the JWKS the API serves, and checks every claim the contract fixes. */
async function expectLease(
  api: TestApi,
  lease: string | undefined,
  expected: { machineCode: string; account: string; expiresAt: string; at?: Date },
): Promise<{ iat: number; exp: number; kid: string }> {
  assert.equal(typeof lease, 'string', 'a lease is answered');
  const { payload, protectedHeader } = await jwtVerify(lease as string, createLocalJWKSet(await jwksOf(api)), {
    algorithms: ['EdDSA'],
    issuer: LEASE_ISSUER,
    subject: expected.machineCode,
    ...(expected.at ? { currentDate: expected.at } : {}),
  });
  assert.deepEqual(Object.keys(protectedHeader), ['alg', 'kid']);
  assert.equal(protectedHeader.alg, 'EdDSA');
  assert.deepEqual(Object.keys(payload), ['iss', 'sub', 'acct', 'iat', 'exp']);
  assert.equal(payload.acct, expected.account);
  const iat = payload.iat as number;
  const exp = payload.exp as number;
  assert.ok(exp <= endOfExpiryDay(expected.expiresAt), 'never past the end of the expiry day');
  assert.ok(exp - iat <= api.config.leases.leaseSeconds, 'at most LEASE_SECONDS long');
  assert.ok(exp > iat);
  return { iat, exp, kid: protectedHeader.kid as string };
}

describe('signed leases (contract v1.1)', function () {
  let api: TestApi;
  const register = (body: unknown) =>
    request(api.app)
      .post('/v1/registrations')
      .send(body as object);
  const verify = (target: TestApi, machineCode: string, token: string) =>
    request(target.app).post('/v1/verifications').send({ machineCode, token });
  const bindOne = async (target: TestApi, account: TestAccount) => {
    const response = await request(target.app).post('/v1/registrations').send(registrationBody(account, 1));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return (response.body as Registered).nodes[0] as Registered['nodes'][number];
  };

  before(async function () {
    api = await startTestApi();
  });
  after(async function () {
    await api.close();
  });

  it('serves the keys as a JWKS whose kid is the RFC 7638 thumbprint', async function () {
    const { keys } = await jwksOf(api);
    assert.ok(keys.length >= 1);
    for (const key of keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      assert.equal(key.kty, 'OKP');
      assert.equal(key.crv, 'Ed25519');
      assert.equal(key.alg, 'EdDSA');
      assert.equal(key.use, 'sig');
      assert.equal(key.kid, await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.x as string }));
    }
  });

  it("gives every registered node a lease that verifies, with the node's machine and the account's name", async function () {
    assert.equal(api.config.leases.leaseSeconds, DEFAULT_LEASE_SECONDS);
    const account = await api.createAccount({ expiresAt: '2099-12-31' });
    const response = await register(registrationBody(account, 3));
    assert.equal(response.status, 200);
    const body = response.body as Registered;
    for (const node of body.nodes) {
      assert.deepEqual(Object.keys(node), ['nodeId', 'machineCode', 'token', 'lease']);
      const { iat, exp } = await expectLease(api, node.lease, {
        machineCode: node.machineCode,
        account: account.name,
        expiresAt: '2099-12-31',
      });
      assert.equal(exp - iat, DEFAULT_LEASE_SECONDS, 'a far expiry does not shorten it');
    }
    assert.notEqual(body.nodes[0]?.lease, body.nodes[1]?.lease);
  });

  it('gives a valid verification a lease that verifies, the one handed out before while less than half used', async function () {
    const account = await api.createAccount({ expiresAt: '2099-12-31' });
    const node = await bindOne(api, account);
    const first = await verify(api, node.machineCode, node.token);
    assert.equal(first.status, 200);
    const lease = (first.body as Verified).lease;
    await expectLease(api, lease, { machineCode: node.machineCode, account: account.name, expiresAt: '2099-12-31' });
    assert.equal(lease, node.lease, "the registration's lease, handed out again");
    assert.equal(((await verify(api, node.machineCode, node.token)).body as Verified).lease, lease);
  });

  it('hands a heartbeat on another API process the lease this one signed: leases are kept beside the binding in Redis', async function () {
    // A minute later, so a lease signed there afresh would differ (Ed25519 is deterministic: same claims, same string).
    const other = await startTestApi({}, { now: () => new Date(Date.now() + 60_000) });
    try {
      const account = await api.createAccount({ expiresAt: '2099-12-31' });
      const node = await bindOne(api, account);
      const elsewhere = await verify(other, node.machineCode, node.token);
      assert.equal(elsewhere.status, 200);
      assert.equal((elsewhere.body as Verified).lease, node.lease);
    } finally {
      await other.close();
    }
  });

  it('signs a new lease once the one held is half used up, and keeps the same string before', async function () {
    let nowMs = Date.parse('2026-06-01T00:00:00Z');
    const clocked = await startTestApi({}, { now: () => new Date(nowMs) });
    try {
      const account = await clocked.createAccount({ expiresAt: '2099-12-31' });
      const node = await bindOne(clocked, account);
      const leaseAt = async () => (await verify(clocked, node.machineCode, node.token)).body as Verified;
      const first = (await leaseAt()).lease;
      const claims = await expectLease(clocked, first, {
        machineCode: node.machineCode,
        account: account.name,
        expiresAt: '2099-12-31',
        at: new Date(nowMs),
      });
      assert.equal(claims.iat, nowMs / 1000);
      nowMs += (DEFAULT_LEASE_SECONDS / 2 - 60) * 1000;
      assert.equal((await leaseAt()).lease, first, 'less than half used: the same string');
      nowMs += 120 * 1000;
      const renewed = (await leaseAt()).lease;
      assert.notEqual(renewed, first, 'past half its life: a new lease');
      const again = await expectLease(clocked, renewed, {
        machineCode: node.machineCode,
        account: account.name,
        expiresAt: '2099-12-31',
        at: new Date(nowMs),
      });
      assert.equal(again.iat, nowMs / 1000);
    } finally {
      await clocked.close();
    }
  });

  it("caps exp at the end of the certificate's expiry day for an account expiring tomorrow", async function () {
    const nowMs = Date.parse('2026-06-01T12:34:56Z');
    const clocked = await startTestApi({}, { now: () => new Date(nowMs) });
    try {
      const account = await clocked.createAccount({ expiresAt: '2026-06-02' });
      const node = await bindOne(clocked, account);
      const expected = { machineCode: node.machineCode, account: account.name, expiresAt: '2026-06-02', at: new Date(nowMs) };
      const registered = await expectLease(clocked, node.lease, expected);
      assert.equal(registered.exp, Date.parse('2026-06-02T23:59:59Z') / 1000);
      const verified = await verify(clocked, node.machineCode, node.token);
      assert.equal(verified.status, 200);
      const claims = await expectLease(clocked, (verified.body as Verified).lease, expected);
      assert.equal(claims.exp, Date.parse('2026-06-02T23:59:59Z') / 1000);
      assert.ok(claims.exp - claims.iat < DEFAULT_LEASE_SECONDS);
    } finally {
      await clocked.close();
    }
  });

  it('gives no lease to a frozen account, nor to a machine that is not bound', async function () {
    const account = await api.createAccount();
    const node = await bindOne(api, account);
    const stored = await api.deps.context.accounts.findByName(account.name);
    assert.ok(stored);
    const changed = await changeAccount(api.deps.context.accounts, account.name, { ...stored.settings, status: 'frozen' });
    await api.deps.context.bindingStore.invalidate(changed.id, changed.revision);
    const frozen = await verify(api, node.machineCode, node.token);
    assert.equal(frozen.status, 403);
    assert.equal((frozen.body as Verified).lease, undefined);
    assert.ok(!('lease' in (frozen.body as object)));
    const unknown = await verify(api, 'no-such-machine', node.token);
    assert.equal(unknown.status, 409);
    assert.ok(!('lease' in (unknown.body as object)));
  });

  it('refuses a lease whose payload was changed, and one signed by another key', async function () {
    const account = await api.createAccount();
    const node = await bindOne(api, account);
    const jwks = createLocalJWKSet(await jwksOf(api));
    const [header, payload, signature] = node.lease.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 86_400 })).toString('base64url');
    await assert.rejects(jwtVerify(`${header}.${longer}.${signature}`, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    const other = await importLeaseKey(generateLeaseKeyPem());
    // Another key even naming the service's kid: the signature does not verify with the published key.
    const kid = decodeProtectedHeader(node.lease).kid as string;
    const forged = await signLease({ ...other, kid }, claims as unknown as Parameters<typeof signLease>[1]);
    await assert.rejects(jwtVerify(forged, jwks), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    const ownKid = await signLease(other, claims as unknown as Parameters<typeof signLease>[1]);
    await assert.rejects(jwtVerify(ownKid, jwks), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('keeps verifying a lease signed before keys:rotate, and signs new ones with the new kid', async function () {
    const account = await api.createAccount();
    const node = await bindOne(api, account);
    const before = await expectLease(api, node.lease, { machineCode: node.machineCode, account: account.name, expiresAt: '2099-12-31' });

    const parsed = parseCommandLine(['keys:rotate']);
    assert.ok(parsed.ok);
    assert.equal(parsed.invocation.command, 'keys:rotate');
    const admin = createAdminDeps(api.config);
    let rotated;
    try {
      rotated = await runCommand(admin, { command: 'keys:rotate' });
    } finally {
      await admin.close();
    }
    assert.equal(rotated.exitCode, 0, rotated.messages.join('\n'));
    const output = rotated.output as { kid: string; previous: { kid: string; visibleUntil: string } };
    assert.equal(output.previous.kid, before.kid);
    assert.ok(
      Date.parse(output.previous.visibleUntil) >= Date.now() + DEFAULT_LEASE_SECONDS * 1000,
      'published until its last lease expired',
    );

    await api.deps.leases.refresh();
    const kids = (await jwksOf(api)).keys.map((key) => key.kid);
    assert.equal(kids[0], output.kid, 'the signing key first');
    assert.ok(kids.includes(before.kid), 'the previous key is still published');
    await expectLease(api, node.lease, { machineCode: node.machineCode, account: account.name, expiresAt: '2099-12-31' });

    const verified = await verify(api, node.machineCode, node.token);
    const renewed = await expectLease(api, (verified.body as Verified).lease, {
      machineCode: node.machineCode,
      account: account.name,
      expiresAt: '2099-12-31',
    });
    assert.equal(renewed.kid, output.kid, 'a new lease after the rotation, with the new kid');
  });

  it('signs with LEASE_SIGNING_KEY when it is given, and publishes that key alone', async function () {
    const pem = generateLeaseKeyPem();
    const given = await startTestApi({ LEASE_SIGNING_KEY: pem.replaceAll('\n', '\\n') });
    try {
      const jwk = createPublicKey(pem).export({ format: 'jwk' });
      const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x as string });
      const { keys } = await jwksOf(given);
      assert.deepEqual(
        keys.map((key) => key.kid),
        [kid],
      );
      const account = await given.createAccount();
      const node = await bindOne(given, account);
      const { protectedHeader } = await compactVerify(node.lease, createPublicKey(pem));
      assert.equal(protectedHeader.kid, kid);
      const verified = await verify(given, node.machineCode, node.token);
      await compactVerify((verified.body as Verified).lease as string, createPublicKey(pem));
      await expectLease(given, (verified.body as Verified).lease, {
        machineCode: node.machineCode,
        account: account.name,
        expiresAt: '2099-12-31',
      });
    } finally {
      await given.close();
    }
  });

  it('answers a dry run without leases', async function () {
    const account = await api.createAccount();
    const response = await register({ ...registrationBody(account, 2), dryRun: true });
    assert.equal(response.status, 200);
    for (const node of (response.body as Registered).nodes) assert.ok(!('lease' in node));
  });
});

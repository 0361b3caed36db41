import assert from 'node:assert/strict';
import { calculateJwkThumbprint } from 'jose';
import { createLeases, endOfExpiryDay, type HeldLease, generateLeaseKeyPem, importLeaseKey, leaseExpiry } from './leases';

describe('leases', function () {
  it('ends a lease LEASE_SECONDS after signing, never past the end of the expiry day (next day 00:00 UTC)', function () {
    const iat = Date.parse('2026-06-01T12:00:00Z') / 1000;
    assert.equal(endOfExpiryDay('2026-06-02'), Date.parse('2026-06-02T23:59:59Z') / 1000);
    assert.equal(leaseExpiry(iat, 259_200, '2099-12-31'), iat + 259_200);
    assert.equal(leaseExpiry(iat, 259_200, '2026-06-02'), Date.parse('2026-06-02T23:59:59Z') / 1000);
    assert.equal(leaseExpiry(iat, 3600, '2026-06-01'), iat + 3600);
  });

  it('names a key by its RFC 7638 thumbprint and refuses keys that are not Ed25519', async function () {
    const key = await importLeaseKey(generateLeaseKeyPem());
    assert.equal(key.kid, await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.jwk.x }));
    const { generateKeyPairSync } = await import('node:crypto');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(importLeaseKey(ec), /Ed25519/);
  });

  it('re-uses the lease held while it belongs to this binding, less than half used and of the signing key, and publishes the keyring', async function () {
    const first = await importLeaseKey(generateLeaseKeyPem());
    const second = await importLeaseKey(generateLeaseKeyPem());
    let keyring = { signing: first, published: [first] };
    let now = new Date('2026-06-01T00:00:00Z');
    const leases = await createLeases({
      load: () => Promise.resolve(keyring),
      leaseSeconds: 3600,
      now: () => now,
      reloadIntervalMs: 0,
      onReloadError: () => undefined,
    });
    const request = (held: HeldLease | null, nonce = 'n') => ({
      machineCode: 'a',
      nonce,
      expiresAt: '2099-12-31',
      accountName: () => 'acme',
      held,
    });
    const issued = await leases.issue(request(null));
    const held = issued.signed;
    assert.ok(held);
    assert.deepEqual(await leases.issue(request(held)), { lease: held.lease, signed: null });
    assert.ok((await leases.issue(request(held, 'another binding'))).signed, 'a new binding of the machine gets its own lease');
    now = new Date('2026-06-01T00:30:00Z');
    assert.ok((await leases.issue(request(held))).signed, 'half used up: signed again');
    now = new Date('2026-06-01T00:10:00Z');
    keyring = { signing: second, published: [second, first] };
    await leases.refresh();
    const after = await leases.issue(request(held));
    assert.equal(after.signed?.kid, second.kid);
    assert.match(Buffer.from(after.lease.split('.')[0] as string, 'base64url').toString(), new RegExp(second.kid));
    assert.deepEqual(
      leases.jwks().keys.map((key) => key.kid),
      [second.kid, first.kid],
    );
    leases.close();
  });

  it('signs a new lease with the signing key for a binding still being written, whatever is held', async function () {
    const key = await importLeaseKey(generateLeaseKeyPem());
    const now = new Date('2026-06-01T00:00:00Z');
    const leases = await createLeases({
      load: () => Promise.resolve({ signing: key, published: [key] }),
      leaseSeconds: 3600,
      now: () => now,
      reloadIntervalMs: 0,
      onReloadError: () => undefined,
    });
    const signed = await leases.sign({ machineCode: 'a', expiresAt: '2026-06-01', accountName: () => 'acme' });
    const iat = now.getTime() / 1000;
    assert.deepEqual({ kid: signed.kid, iat: signed.iat, exp: signed.exp }, { kid: key.kid, iat, exp: iat + 3600 });
    const payload: unknown = JSON.parse(Buffer.from(signed.lease.split('.')[1] as string, 'base64url').toString());
    assert.deepEqual(payload, { iss: 'regcloud', sub: 'a', acct: 'acme', iat, exp: iat + 3600 });
    const capped = await leases.sign({ machineCode: 'a', expiresAt: '2026-05-31', accountName: () => 'acme' });
    assert.equal(capped.exp, endOfExpiryDay('2026-05-31'), 'never past the certificate');
    leases.close();
  });
});

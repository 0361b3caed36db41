import assert from 'node:assert/strict';
import { calculateJwkThumbprint } from 'jose';
import { createLeases, endOfExpiryDay, generateLeaseKeyPem, importLeaseKey, leaseExpiry } from './leases';

describe('leases', function () {
  it('ends a lease LEASE_SECONDS after signing, never past the end of the expiry day (next day 00:00 UTC)', function () {
    const iat = Date.parse('2026-06-01T12:00:00Z') / 1000;
    assert.equal(endOfExpiryDay('2026-06-02'), Date.parse('2026-06-03T00:00:00Z') / 1000);
    assert.equal(leaseExpiry(iat, 259_200, '2099-12-31'), iat + 259_200);
    assert.equal(leaseExpiry(iat, 259_200, '2026-06-02'), Date.parse('2026-06-03T00:00:00Z') / 1000);
    assert.equal(leaseExpiry(iat, 3600, '2026-06-01'), iat + 3600);
  });

  it('names a key by its RFC 7638 thumbprint and refuses keys that are not Ed25519', async function () {
    const key = await importLeaseKey(generateLeaseKeyPem());
    assert.equal(key.kid, await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.jwk.x }));
    const { generateKeyPairSync } = await import('node:crypto');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(importLeaseKey(ec), /Ed25519/);
  });

  it('re-uses a lease it handed out, never one of a former signing key, and publishes the keyring', async function () {
    const first = await importLeaseKey(generateLeaseKeyPem());
    const second = await importLeaseKey(generateLeaseKeyPem());
    let keyring = { signing: first, published: [first] };
    const leases = await createLeases({
      load: () => Promise.resolve(keyring),
      leaseSeconds: 3600,
      now: () => new Date('2026-06-01T00:00:00Z'),
      reloadIntervalMs: 0,
      maxCached: 2,
      onReloadError: () => undefined,
    });
    const request = (machineCode: string) => ({
      accountId: 1,
      machineCode,
      nonce: 'n',
      expiresAt: '2099-12-31',
      accountName: () => 'acme',
    });
    const a = await leases.issue(request('a'));
    assert.equal(await leases.issue(request('a')), a);
    await leases.issue(request('b'));
    await leases.issue(request('c'));
    // Ed25519 signatures are deterministic: a re-signed lease with the same claims is the same string, so compare kids.
    keyring = { signing: second, published: [second, first] };
    await leases.refresh();
    const after = await leases.issue(request('c'));
    assert.match(Buffer.from(after.split('.')[0] as string, 'base64url').toString(), new RegExp(second.kid));
    assert.deepEqual(
      leases.jwks().keys.map((key) => key.kid),
      [second.kid, first.kid],
    );
    leases.close();
  });
});

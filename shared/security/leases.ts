import { createPrivateKey, createPublicKey, generateKeyPairSync, type webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, importPKCS8 } from 'jose';

/**
 * Signed leases (contract "Signed leases"): a compact JWS, EdDSA over
 * Ed25519, that lets a node keep working offline until `exp`. The signing
 * key and the keys still published come from a key source (MySQL's
 * `lease_keys`, or LEASE_SIGNING_KEY alone); this module signs, caches and
 * publishes, and knows nothing of storage.
 */
export const LEASE_ISSUER = 'regcloud';

/**
 * How often an API process reads the lease keys from MySQL again: a
 * `keys:rotate` reaches every process within this, and the retired key stays
 * published this much (and a minute) longer than LEASE_SECONDS.
 */
export const LEASE_KEYS_RELOAD_SECONDS = 15;

/** A public key as the JWKS at GET /v1/keys publishes it. */
export interface LeaseJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface LeaseKey {
  kid: string;
  /**
   * Imported into WebCrypto once: jose signs with a CryptoKey as it is, and
   * converts a KeyObject on every signature (about 140 against 90 µs of CPU
   * a lease here, and a registration signs one per node).
   */
  privateKey: webcrypto.CryptoKey;
  jwk: LeaseJwk;
}

export interface LeaseClaims {
  iss: typeof LEASE_ISSUER;
  sub: string;
  acct: string;
  iat: number;
  exp: number;
}

/** A new Ed25519 private key as PKCS#8 PEM. */
export function generateLeaseKeyPem(): string {
  return generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
}

/** Throws when the PEM is not a PKCS#8 Ed25519 private key. */
export async function importLeaseKey(pem: string): Promise<LeaseKey> {
  const privateKey = createPrivateKey({ key: pem, format: 'pem' });
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`a lease key must be Ed25519, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('the lease key has no public part');
  // RFC 7638: the thumbprint covers the required members only (crv, kty, x).
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256');
  return {
    kid,
    privateKey: await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'EdDSA'),
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' },
  };
}

/** The signing key and every key still published (the signing one included). */
export interface LeaseKeyring {
  signing: LeaseKey;
  published: readonly LeaseKey[];
}

/**
 * The end of the certificate's expiry day as a lease's `exp`: its last whole
 * second, 23:59:59 UTC, in seconds. `expiresAt` is `YYYY-MM-DD`, the last day
 * the certificate is valid. Next midnight would be the day's end too, but it
 * reads as the next day's first second: a lease that stops one second early
 * is never past the end of the day, whichever way a node counts it.
 */
export function endOfExpiryDay(expiresAt: string): number {
  return Date.parse(`${expiresAt}T23:59:59Z`) / 1000;
}

/** `leaseSeconds` after `iatSeconds`, never past the end of the expiry day. */
export function leaseExpiry(iatSeconds: number, leaseSeconds: number, expiresAt: string): number {
  return Math.min(iatSeconds + leaseSeconds, endOfExpiryDay(expiresAt));
}

export async function signLease(key: LeaseKey, claims: LeaseClaims): Promise<string> {
  const payload = { iss: claims.iss, sub: claims.sub, acct: claims.acct, iat: claims.iat, exp: claims.exp };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .sign(key.privateKey);
}

/** A lease just signed, with what re-using it needs to know. */
export interface SignedLease {
  kid: string;
  iat: number;
  exp: number;
  lease: string;
}

/** A lease handed out before, as kept beside its binding. */
export interface HeldLease extends SignedLease {
  /** The binding's nonce when it was signed. */
  nonce: string;
}

export interface LeaseRequest {
  machineCode: string;
  /** The binding's nonce: a new binding of the machine never gets the old binding's lease. */
  nonce: string;
  /** The certificate's last day (`YYYY-MM-DD`). */
  expiresAt: string;
  /** Asked only when a lease must be signed, so a heartbeat that re-uses one looks nothing up. */
  accountName: () => string | Promise<string>;
  /** The lease kept for this binding, if any. */
  held: HeldLease | null;
}

export interface IssuedLease {
  lease: string;
  /** Set when the lease is new: the caller keeps it for the next heartbeat. */
  signed: HeldLease | null;
}

export interface Leases {
  /** A lease for a bound node: the one held while less than half of it is used up, else a new one. */
  issue(request: LeaseRequest): Promise<IssuedLease>;
  /**
   * A new lease whatever is held, for a node whose binding is being written
   * (a registration signs while MySQL commits, before the nonce is known).
   */
  sign(request: Pick<LeaseRequest, 'machineCode' | 'expiresAt' | 'accountName'>): Promise<SignedLease>;
  /** The JWKS of GET /v1/keys. */
  jwks(): { keys: LeaseJwk[] };
  /** Reads the keys again (the periodic reload calls it; tests call it after a rotation). */
  refresh(): Promise<void>;
  close(): void;
}

export interface LeasesOptions {
  /** Reads the keyring; called at start and every `reloadIntervalMs`. */
  load: () => Promise<LeaseKeyring>;
  leaseSeconds: number;
  now: () => Date;
  /** 0: never reload (a key given in the environment does not change). */
  reloadIntervalMs: number;
  onReloadError: (error: unknown) => void;
}

export async function createLeases(options: LeasesOptions): Promise<Leases> {
  let keyring = await options.load();
  let reloading: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    reloading ??= options
      .load()
      .then((loaded) => {
        keyring = loaded;
      })
      .finally(() => {
        reloading = undefined;
      });
    return reloading;
  }

  const timer =
    options.reloadIntervalMs > 0
      ? setInterval(() => {
          // A failed reload keeps the keys it had: leases stay signed, with the key last seen.
          refresh().catch(options.onReloadError);
        }, options.reloadIntervalMs)
      : undefined;
  timer?.unref();

  async function issue(request: LeaseRequest): Promise<IssuedLease> {
    const nowSeconds = Math.floor(options.now().getTime() / 1000);
    const cap = endOfExpiryDay(request.expiresAt);
    const { signing } = keyring;
    const { held } = request;
    // Re-used while it is this binding's, less than half used up, signed by the current key, and within a certificate expiry that may have moved.
    if (
      held?.nonce === request.nonce &&
      held.kid === signing.kid &&
      held.exp <= cap &&
      nowSeconds >= held.iat &&
      nowSeconds < held.iat + (held.exp - held.iat) / 2
    ) {
      return { lease: held.lease, signed: null };
    }
    const signed = await sign(request);
    return { lease: signed.lease, signed: { nonce: request.nonce, ...signed } };
  }

  async function sign(request: Pick<LeaseRequest, 'machineCode' | 'expiresAt' | 'accountName'>): Promise<SignedLease> {
    const iat = Math.floor(options.now().getTime() / 1000);
    const { signing } = keyring;
    const acct = await request.accountName();
    const exp = leaseExpiry(iat, options.leaseSeconds, request.expiresAt);
    const lease = await signLease(signing, { iss: LEASE_ISSUER, sub: request.machineCode, acct, iat, exp });
    return { kid: signing.kid, iat, exp, lease };
  }

  return {
    issue,
    sign,
    jwks: () => ({ keys: keyring.published.map((key) => ({ ...key.jwk })) }),
    refresh,
    close() {
      if (timer) clearInterval(timer);
    },
  };
}

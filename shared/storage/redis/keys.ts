import { createHash } from 'node:crypto';

/**
 * The only place key strings are built. Every key of one account carries the
 * hash tag `{acct:<id>}`, so the scripts that touch several of them run on
 * Redis Cluster too (all of an account's keys live in one slot).
 */
export interface AccountKeys {
  /** hash {status, expiresAt, revision}; present only while the account is loaded */
  state: string;
  /** hash machineCode -> nonce .. lastSeen: bindings MySQL has committed */
  bindings: string;
  /** hash machineCode -> nonce .. since: seats reserved by registrations still in flight */
  pending: string;
  /** lowest revision a refill may load */
  floor: string;
  /** hash machineCode -> lease record (lease-record.ts): the lease last handed to the bound node, for re-use by every process */
  leases: string;
  /** hash machineCode -> nonce of a binding MySQL confirmed is gone: its heartbeats are refused without asking MySQL again */
  gone: string;
}

export function accountKeys(prefix: string, accountId: number): AccountKeys {
  const tag = `${prefix}{acct:${accountId}}`;
  return {
    state: `${tag}:state`,
    bindings: `${tag}:bindings`,
    pending: `${tag}:pending`,
    floor: `${tag}:floor`,
    leases: `${tag}:leases`,
    gone: `${tag}:gone`,
  };
}

/**
 * One key part from caller-chosen text (addresses, account names): a hash of
 * the length-prefixed parts, so no two tuples share a key (`2001:db8::1` with
 * `2:tenB` is not `2001:db8::1:2` with `tenB`) and no caller's bytes, hash
 * tag braces included, ever reach a key.
 */
function opaquePart(...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part, 'utf8')}:`).update(part, 'utf8');
  return hash.digest('base64url').slice(0, 22);
}

/** The keys of login throttling (reserve-login.lua, settle-login.lua) for one address and account. */
export interface LoginKeys {
  pairFailures: string;
  pairInFlight: string;
  addressFailures: string;
  addressInFlight: string;
  accountFailures: string;
  accountInFlight: string;
  pairHistory: string;
  trusted: string;
}

export function loginKeys(prefix: string, address: string, account: string): LoginKeys {
  const pair = `${prefix}login:pair:${opaquePart(address, account)}`;
  const byAddress = `${prefix}login:address:${opaquePart(address)}`;
  const byAccount = `${prefix}login:account:${opaquePart(account)}`;
  return {
    pairFailures: `${pair}:failed`,
    pairInFlight: `${pair}:pending`,
    addressFailures: `${byAddress}:failed`,
    addressInFlight: `${byAddress}:pending`,
    accountFailures: `${byAccount}:failed`,
    accountInFlight: `${byAccount}:pending`,
    pairHistory: `${pair}:history`,
    trusted: `${pair}:trusted`,
  };
}

/** KEYS of both login scripts, in their headers' order. */
export function loginKeyList(keys: LoginKeys): string[] {
  return [
    keys.pairFailures,
    keys.pairInFlight,
    keys.addressFailures,
    keys.addressInFlight,
    keys.accountFailures,
    keys.accountInFlight,
    keys.pairHistory,
    keys.trusted,
  ];
}

/** Escapes SCAN's glob characters (the configured prefix has none today; this keeps it literal if that changes). */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/** SCAN pattern matching the state key of every loaded account. */
export function loadedStatePattern(prefix: string): string {
  return `${globLiteral(prefix)}{acct:*}:state`;
}

/** The account a state key belongs to, or null for any key accountKeys would not build. */
export function accountIdOfStateKey(prefix: string, key: string): number | null {
  const head = `${prefix}{acct:`;
  const tail = '}:state';
  if (!key.startsWith(head) || !key.endsWith(tail)) return null;
  const digits = key.slice(head.length, key.length - tail.length);
  if (!/^[1-9]\d{0,15}$/.test(digits)) return null;
  const accountId = Number(digits);
  return Number.isSafeInteger(accountId) && accountKeys(prefix, accountId).state === key ? accountId : null;
}

/** Where the reconcile worker keeps its place in the keyspace between runs. */
export function walkStateKey(prefix: string): string {
  return `${prefix}worker:reconcile-accounts:walk`;
}

/**
 * A staff console session, found by a hash of its id: a copy of Redis holds
 * no id that could be replayed as a cookie.
 */
export function adminSessionKey(prefix: string, sessionId: string): string {
  return `${prefix}admin:session:${opaquePart(sessionId)}`;
}

/** The session keys of one staff member, so disabling them ends every one at once. */
export function staffSessionsKey(prefix: string, staffId: number): string {
  return `${prefix}admin:staff:${staffId}:sessions`;
}

/**
 * One Idempotency-Key of one account name on one path: the caller's key and
 * account name reach Redis only hashed (length-prefixed, like the throttle's).
 */
export function idempotencyKey(prefix: string, scope: { path: string; account: string; key: string }): string {
  return `${prefix}idem:${opaquePart(scope.path, scope.account, scope.key)}`;
}

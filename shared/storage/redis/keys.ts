import { createHash } from 'node:crypto';

/**
 * The only place key strings are built. Every key carries an explicit hash
 * tag naming what one script, transaction or command touches, so each of
 * them runs on one slot of a Redis Cluster: `{acct:<id>}` for an account's
 * copy (all of an account's keys live in one slot), `{login:…}` and
 * `{login-address:…}` for throttling, `{admin-sessions}`, `{idem:…}`,
 * `{worker}` and BullMQ's `{bull}`. REDIS_KEY_PREFIX holds no braces, so the
 * tag is always the first `{…}` of a key.
 */
export interface AccountKeys {
  /**
   * hash {status, expiresAt, revision, lastSeenEvery}; present only while the
   * account is loaded. Also per machine `lease:<machineCode>` (the lease last
   * handed out, lease-record.ts) and `gone:<machineCode>` (the nonce of a
   * binding MySQL confirmed is gone), which go with the state.
   */
  state: string;
  /** hash machineCode -> nonce .. lastSeen: bindings MySQL has committed */
  bindings: string;
  /** hash machineCode -> nonce .. since: seats reserved by registrations still in flight */
  pending: string;
  /** lowest revision a refill may load */
  floor: string;
}

export function accountKeys(prefix: string, accountId: number): AccountKeys {
  const tag = `${prefix}{acct:${accountId}}`;
  return {
    state: `${tag}:state`,
    bindings: `${tag}:bindings`,
    pending: `${tag}:pending`,
    floor: `${tag}:floor`,
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

/**
 * The keys of login throttling for one address and account. A script runs
 * on one slot, so they come in two groups, each under its own hash tag:
 * everything about the account (its pair with this address, its account-wide
 * counters, the pair's history and trust) under `{login:<account hash>}`,
 * read and written by reserve-login.lua and settle-login.lua; the
 * address-wide counters, shared by every account the address tries, under
 * `{login-address:<address hash>}`, for reserve-login-address.lua and
 * settle-login-address.lua (login-steps.ts runs the two in turn).
 */
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
  const byAccount = `${prefix}{login:${opaquePart(account)}}`;
  const pair = `${byAccount}:pair:${opaquePart(address, account)}`;
  const byAddress = `${prefix}{login-address:${opaquePart(address)}}`;
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

/** KEYS of reserve-login.lua and settle-login.lua (the account's slot), in their headers' order. */
export function loginAccountKeyList(keys: LoginKeys): string[] {
  return [keys.pairFailures, keys.pairInFlight, keys.accountFailures, keys.accountInFlight, keys.pairHistory, keys.trusted];
}

/** KEYS of reserve-login-address.lua and settle-login-address.lua (the address's slot). */
export function loginAddressKeyList(keys: LoginKeys): string[] {
  return [keys.addressFailures, keys.addressInFlight];
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
  return `${prefix}{worker}:reconcile-accounts:walk`;
}

/**
 * BullMQ's key prefix: every queue key starts with it. The hash tag puts all
 * of a queue's keys in one slot, as BullMQ's scripts need on Redis Cluster.
 */
export function queuePrefix(prefix: string): string {
  return `${prefix}{bull}`;
}

/**
 * A staff console session, found by a hash of its id: a copy of Redis holds
 * no id that could be replayed as a cookie. Sessions and the per-staff index
 * share one hash tag, so creating a session and ending all of a staff
 * member's are each one transaction on one slot (staff are few; one slot
 * holds them all easily).
 */
export function adminSessionKey(prefix: string, sessionId: string): string {
  return `${prefix}{admin-sessions}:session:${opaquePart(sessionId)}`;
}

/** The session keys of one staff member, so disabling them ends every one at once. */
export function staffSessionsKey(prefix: string, staffId: number): string {
  return `${prefix}{admin-sessions}:staff:${staffId}`;
}

/**
 * One Idempotency-Key of one account name on one path: the caller's key and
 * account name reach Redis only hashed (length-prefixed, like the throttle's).
 */
export function idempotencyKey(prefix: string, scope: { path: string; account: string; key: string }): string {
  // Tagged by the account name, as the claim comes before the login that would name the account's id.
  return `${prefix}{idem:${opaquePart(scope.account)}}:${opaquePart(scope.path, scope.key)}`;
}

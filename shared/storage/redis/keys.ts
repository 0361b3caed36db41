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
}

export function accountKeys(prefix: string, accountId: number): AccountKeys {
  const tag = `${prefix}{acct:${accountId}}`;
  return { state: `${tag}:state`, bindings: `${tag}:bindings`, pending: `${tag}:pending`, floor: `${tag}:floor` };
}

/**
 * Failed-login counters. Account names are caller-chosen text: they are
 * length-limited before they get here and only ever used as key bytes.
 */
export function throttleKeys(prefix: string, address: string, account: string) {
  return {
    pair: `${prefix}throttle:pair:${address}:${account}`,
    address: `${prefix}throttle:address:${address}`,
    account: `${prefix}throttle:account:${account}`,
    trusted: `${prefix}throttle:trusted:${address}:${account}`,
  };
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

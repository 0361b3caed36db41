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

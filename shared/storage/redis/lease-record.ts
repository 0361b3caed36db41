import type { HeldLease } from '#shared/security/leases';

/**
 * The value of an account's `leases` hash in Redis: the binding's nonce, the
 * signing key's id, iat and exp in unix seconds, then the compact JWS, each
 * separated by one space (none of them can hold one). Lua only stores and
 * returns it whole (keep-leases.lua, verify-binding.lua); this module owns
 * the layout.
 */
const RECORD_PATTERN = /^([A-Za-z0-9_-]+) ([A-Za-z0-9_-]+) (\d{1,12}) (\d{1,12}) ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

export function encodeLeaseRecord(held: HeldLease): string {
  return `${held.nonce} ${held.kid} ${held.iat} ${held.exp} ${held.lease}`;
}

/**
 * Null for anything else, and for '' (no lease kept): an unreadable record is
 * only a lease to sign again, never a fault, since nothing is trusted from it
 * but what re-use needs and the caller checks that against the binding.
 */
export function decodeLeaseRecord(text: string): HeldLease | null {
  const match = RECORD_PATTERN.exec(text);
  if (!match) return null;
  const [, nonce, kid, iat, exp, lease] = match as unknown as [string, string, string, string, string, string];
  return { nonce, kid, iat: Number(iat), exp: Number(exp), lease };
}

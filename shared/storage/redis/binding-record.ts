import { NONCE_LENGTH } from '#shared/security/binding-token';

/**
 * The value of an account's `bindings` and `pending` hashes in Redis: the
 * binding's nonce followed by unix seconds in decimal (last-seen in
 * `bindings`, the reservation's time in `pending`), e.g.
 * `AbCdEfGhIjKlMnOp1733000000`. There is no separator: the nonce has a fixed
 * length, NONCE_LENGTH.
 *
 * This module owns the layout on the TypeScript side; the Lua scripts read
 * and write it through lua/includes/binding-record.lua.
 */
export interface BindingRecord {
  /** As minted by createNonce: NONCE_LENGTH base64url characters. */
  nonce: string;
  seconds: number;
}

/**
 * Base64url only, so the nonce's characters are its bytes and the Lua side
 * (string.sub counts bytes) ends the nonce where this does.
 */
const RECORD_PATTERN = new RegExp(`^([A-Za-z0-9_-]{${NONCE_LENGTH}})(\\d+)$`);

export function encodeBindingRecord({ nonce, seconds }: BindingRecord): string {
  return `${nonce}${seconds}`;
}

/**
 * Null for a value no script or loader of ours writes. Not a StoreFailure:
 * the only reader, the reconciler, takes an unreadable binding as differing
 * from the ledger (the account is reloaded, which rewrites it) and an
 * unreadable reservation as dead; a fault would instead fail every pass over
 * that account and leave the copy as it is.
 */
export function decodeBindingRecord(text: string): BindingRecord | null {
  const match = RECORD_PATTERN.exec(text);
  if (!match) return null;
  const seconds = Number(match[2]);
  return Number.isSafeInteger(seconds) ? { nonce: match[1] as string, seconds } : null;
}

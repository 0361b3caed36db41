import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Binding tokens are derived, not stored: `<accountId>.<nonce>.<mac>` where
 * the nonce is the binding's random id (kept in both stores) and the mac an
 * HMAC-SHA256 over account, nonce and machine code under the service secret.
 * Re-registering a bound machine therefore hands back the very token its node
 * already holds (a running node is never logged out), unbinding deletes the
 * nonce and with it every copy of the token, and a leaked database row alone
 * does not yield a token.
 */
export const NONCE_LENGTH = 16;
const MAC_BYTES = 24;
const TOKEN_PATTERN = /^([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{32})$/;

export interface ParsedToken {
  accountId: number;
  nonce: string;
}

export function createNonce(): string {
  return randomBytes(12).toString('base64url');
}

function mac(secret: Buffer, accountId: number, nonce: string, machineCode: string): Buffer {
  return createHmac('sha256', secret).update(`${accountId}.${nonce}.${machineCode}`).digest().subarray(0, MAC_BYTES);
}

export function deriveToken(secret: Buffer, accountId: number, nonce: string, machineCode: string): string {
  return `${accountId}.${nonce}.${mac(secret, accountId, nonce, machineCode).toString('base64url')}`;
}

/** Null for anything not minted by this service for this machine code; compared in constant time. */
export function parseToken(secret: Buffer, token: string, machineCode: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  const accountId = Number(match[1]);
  const nonce = match[2] as string;
  const presented = Buffer.from(match[3] as string, 'base64url');
  const expected = mac(secret, accountId, nonce, machineCode);
  return presented.length === expected.length && timingSafeEqual(presented, expected) ? { accountId, nonce } : null;
}

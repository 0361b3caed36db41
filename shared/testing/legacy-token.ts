import { createHmac } from 'node:crypto';

/** A binding token as minted before account ids were made opaque: `<id>.<nonce>.<mac>`, which nodes in the field still hold. */
export function legacyToken(secret: Buffer, accountId: number, nonce: string, machineCode: string): string {
  const mac = createHmac('sha256', secret).update(`${accountId}.${nonce}.${machineCode}`).digest().subarray(0, 24);
  return `${accountId}.${nonce}.${mac.toString('base64url')}`;
}

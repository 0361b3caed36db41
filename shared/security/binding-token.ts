import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

/**
 * Binding tokens are derived, not stored: `<account>.<nonce>.<mac>` where the
 * nonce is the binding's random id (kept in both stores) and the mac an
 * HMAC-SHA256 over account, nonce and machine code under the service secret.
 * Re-registering a bound machine therefore hands back the very token its node
 * already holds (a running node is never logged out), unbinding deletes the
 * nonce and with it every copy of the token, and a leaked database row alone
 * does not yield a token.
 *
 * The account part is opaque: the account id encrypted as one AES block
 * under a key derived from the secret, so tokens do not tell how many
 * customers there are. Tokens minted before that carry the id in decimal
 * (`<id>.<nonce>.<mac>`, with their own mac input); they keep verifying, and
 * a re-registration hands out the opaque form.
 */
export const NONCE_LENGTH = 16;
const MAC_BYTES = 24;
const TOKEN_PATTERN = new RegExp(`^([A-Za-z0-9_-]{22}|[1-9][0-9]{0,15})\\.([A-Za-z0-9_-]{${NONCE_LENGTH}})\\.([A-Za-z0-9_-]{32})$`);
const OPAQUE_LENGTH = 22;
/**
 * Decoded account parts kept, so a heartbeat seldom pays for AES; cleared
 * whole when full. Only parts that decrypt to an id are kept (a forged one
 * does with odds of 2^-64), so forged tokens cannot evict real ones.
 */
const OPAQUE_CACHE_LIMIT = 100_000;

export interface ParsedToken {
  accountId: number;
  nonce: string;
}

export interface TokenCodec {
  derive(accountId: number, nonce: string, machineCode: string): string;
  /** Null for anything not minted by this service for this machine code; compared in constant time. */
  parse(token: string, machineCode: string): ParsedToken | null;
}

export function createNonce(): string {
  return randomBytes(12).toString('base64url');
}

function aesBlock(key: KeyObject, block: Buffer, isEncrypting: boolean): Buffer {
  const cipher = isEncrypting ? createCipheriv('aes-256-ecb', key, null) : createDecipheriv('aes-256-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

export function createTokenCodec(secret: Buffer): TokenCodec {
  const idKey = createSecretKey(Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'regcloud binding token account id', 32)));
  const decoded = new Map<string, number>();

  const mac = (account: string, nonce: string, machineCode: string) =>
    createHmac('sha256', secret).update(`${account}.${nonce}.${machineCode}`).digest().subarray(0, MAC_BYTES);

  /** One block: the id (8 bytes, big-endian) and 8 zero bytes, which a forged part fails to decrypt to. */
  function opaqueOf(accountId: number): string {
    const block = Buffer.alloc(16);
    block.writeBigUInt64BE(BigInt(accountId));
    return aesBlock(idKey, block, true).toString('base64url');
  }

  function decodeOpaque(part: string): number | null {
    const cached = decoded.get(part);
    if (cached !== undefined) return cached;
    const sealed = Buffer.from(part, 'base64url');
    // Re-encoding refuses a second spelling of the same block (base64url's spare low bits).
    if (sealed.length !== 16 || sealed.toString('base64url') !== part) return null;
    const block = aesBlock(idKey, sealed, false);
    const id = block.readBigUInt64BE(0);
    if (block.readBigUInt64BE(8) !== 0n || id === 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    if (decoded.size >= OPAQUE_CACHE_LIMIT) decoded.clear();
    decoded.set(part, Number(id));
    return Number(id);
  }

  return {
    derive(accountId, nonce, machineCode) {
      const opaque = opaqueOf(accountId);
      return `${opaque}.${nonce}.${mac(`o${accountId}`, nonce, machineCode).toString('base64url')}`;
    },

    parse(token, machineCode) {
      const match = TOKEN_PATTERN.exec(token);
      if (!match) return null;
      const account = match[1] as string;
      const nonce = match[2] as string;
      const isOpaque = account.length === OPAQUE_LENGTH;
      const accountId = isOpaque ? decodeOpaque(account) : Number(account);
      if (accountId === null) return null;
      const presented = Buffer.from(match[3] as string, 'base64url');
      const expected = mac(isOpaque ? `o${accountId}` : String(accountId), nonce, machineCode);
      return presented.length === expected.length && timingSafeEqual(presented, expected) ? { accountId, nonce } : null;
    },
  };
}

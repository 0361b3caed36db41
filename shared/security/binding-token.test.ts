import assert from 'node:assert/strict';
import { legacyToken } from '#shared/testing/legacy-token';
import { createNonce, createTokenCodec, NONCE_LENGTH, type TokenCodec } from './binding-token';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');
const OTHER_SECRET = Buffer.from('fedcba9876543210fedcba9876543210', 'utf8');
const ACCOUNT_ID = 42;
const NONCE = 'AbCdEfGhIjKlMnOp';
const MACHINE = 'machine-code-of-node-47-1';

const codecs = new Map<Buffer, TokenCodec>([SECRET, OTHER_SECRET].map((secret) => [secret, createTokenCodec(secret)]));
const codec = (secret: Buffer) => codecs.get(secret) ?? createTokenCodec(secret);
const deriveToken = (secret: Buffer, accountId: number, nonce: string, machineCode: string) =>
  codec(secret).derive(accountId, nonce, machineCode);
const parseToken = (secret: Buffer, token: string, machineCode: string) => codec(secret).parse(token, machineCode);

/** The token with one character replaced by another of the same alphabet. */
function flipCharacter(token: string, index: number): string {
  const current = token.charAt(index);
  const replacement = current === 'A' ? 'B' : /[0-9]/.test(current) ? String((Number(current) % 9) + 1) : 'A';
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}

describe('createNonce', () => {
  it('makes a nonce of NONCE_LENGTH base64url characters', () => {
    assert.match(createNonce(), new RegExp(`^[A-Za-z0-9_-]{${NONCE_LENGTH}}$`));
  });

  it('makes a different nonce each time', () => {
    const nonces = new Set(Array.from({ length: 100 }, () => createNonce()));
    assert.equal(nonces.size, 100);
  });
});

describe('deriveToken', () => {
  it('gives the same token for the same inputs', () => {
    assert.equal(deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE), deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE));
  });

  it('gives different tokens for two nonces', () => {
    assert.notEqual(deriveToken(SECRET, ACCOUNT_ID, createNonce(), MACHINE), deriveToken(SECRET, ACCOUNT_ID, createNonce(), MACHINE));
  });

  it('gives different tokens for two machine codes', () => {
    assert.notEqual(deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE), deriveToken(SECRET, ACCOUNT_ID, NONCE, `${MACHINE}-2`));
  });

  it('gives different tokens under two secrets', () => {
    assert.notEqual(deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE), deriveToken(OTHER_SECRET, ACCOUNT_ID, NONCE, MACHINE));
  });

  it('shapes the token as <opaque account>.<nonce>.<mac> without the account id, the machine code or the secret', () => {
    const token = deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE);
    assert.match(token, /^[A-Za-z0-9_-]{22}\.AbCdEfGhIjKlMnOp\.[A-Za-z0-9_-]{32}$/);
    assert.ok(!token.startsWith('42.'));
    assert.ok(!token.includes(MACHINE));
    assert.ok(!token.includes(SECRET.toString('base64url')));
  });

  it('gives consecutive accounts account parts with nothing in common to count by', () => {
    const parts = [41, 42, 43].map((id) => deriveToken(SECRET, id, NONCE, MACHINE).split('.')[0] as string);
    assert.equal(new Set(parts).size, 3);
    assert.ok(parts.every((part) => !/^\d+$/.test(part)));
  });
});

describe('parseToken', () => {
  const token = deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE);

  it('gives back the account and nonce of a token it derived (round trip)', () => {
    assert.deepEqual(parseToken(SECRET, token, MACHINE), { accountId: ACCOUNT_ID, nonce: NONCE });
  });

  it('round-trips a fresh nonce and a large account id', () => {
    const nonce = createNonce();
    const accountId = 9_007_199_254_740;
    assert.deepEqual(parseToken(SECRET, deriveToken(SECRET, accountId, nonce, MACHINE), MACHINE), { accountId, nonce });
  });

  it('still accepts a token minted in the decimal form, and no mixing of the two forms', () => {
    const legacy = legacyToken(SECRET, ACCOUNT_ID, NONCE, MACHINE);
    assert.deepEqual(parseToken(SECRET, legacy, MACHINE), { accountId: ACCOUNT_ID, nonce: NONCE });
    const opaquePart = deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE).split('.')[0] as string;
    assert.equal(parseToken(SECRET, `${opaquePart}.${NONCE}.${legacy.split('.')[2]}`, MACHINE), null);
    assert.equal(parseToken(OTHER_SECRET, legacy, MACHINE), null);
  });

  it('refuses an account part under another secret, or spelt another way', () => {
    const [opaquePart, , mac] = deriveToken(SECRET, ACCOUNT_ID, NONCE, MACHINE).split('.') as [string, string, string];
    const foreign = deriveToken(OTHER_SECRET, ACCOUNT_ID, NONCE, MACHINE).split('.')[0] as string;
    assert.equal(parseToken(SECRET, `${foreign}.${NONCE}.${mac}`, MACHINE), null);
    // The 22nd character carries 2 spare bits: another letter with the same 4 high bits decodes to the same block.
    const last = opaquePart.charAt(21);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet.charAt(alphabet.indexOf(last) ^ 1);
    assert.equal(parseToken(SECRET, `${opaquePart.slice(0, 21)}${twin}.${NONCE}.${mac}`, MACHINE), null);
  });

  it('round-trips a machine code with dots, spaces and Unicode', () => {
    const machineCode = 'a.b c.ü.漢字';
    assert.deepEqual(parseToken(SECRET, deriveToken(SECRET, 7, NONCE, machineCode), machineCode), { accountId: 7, nonce: NONCE });
  });

  const refused: ReadonlyArray<{ why: string; secret: Buffer; token: string; machineCode: string }> = [
    { why: 'a token presented for another machine code', secret: SECRET, token, machineCode: `${MACHINE}-2` },
    { why: 'a token presented with an empty machine code', secret: SECRET, token, machineCode: '' },
    { why: 'a token minted under another secret', secret: OTHER_SECRET, token, machineCode: MACHINE },
    {
      why: 'a token with another account part',
      secret: SECRET,
      token: `${deriveToken(SECRET, 43, NONCE, MACHINE).split('.')[0]}.${token.split('.').slice(1).join('.')}`,
      machineCode: MACHINE,
    },
    {
      why: 'a decimal token with another account id',
      secret: SECRET,
      token: legacyToken(SECRET, ACCOUNT_ID, NONCE, MACHINE).replace(/^42\./, '43.'),
      machineCode: MACHINE,
    },
    { why: 'a token with another nonce', secret: SECRET, token: token.replace(NONCE, 'AbCdEfGhIjKlMnOq'), machineCode: MACHINE },
    { why: 'an empty string', secret: SECRET, token: '', machineCode: MACHINE },
    { why: 'a token without its mac', secret: SECRET, token: `${token.split('.')[0]}.${NONCE}.`, machineCode: MACHINE },
    { why: 'a token with a truncated mac', secret: SECRET, token: token.slice(0, -1), machineCode: MACHINE },
    { why: 'a token with an extra character', secret: SECRET, token: `${token}A`, machineCode: MACHINE },
    { why: 'a token with an extra part', secret: SECRET, token: `${token}.x`, machineCode: MACHINE },
    { why: 'a token with surrounding space', secret: SECRET, token: ` ${token} `, machineCode: MACHINE },
    {
      why: 'a decimal token with a leading zero on its account id',
      secret: SECRET,
      token: `0${legacyToken(SECRET, ACCOUNT_ID, NONCE, MACHINE)}`,
      machineCode: MACHINE,
    },
    { why: 'a token with account id 0', secret: SECRET, token: `0.${NONCE}.${token.split('.')[2]}`, machineCode: MACHINE },
    { why: 'a token with an account part of 21 characters', secret: SECRET, token: token.slice(1), machineCode: MACHINE },
    {
      why: 'a token with a short nonce',
      secret: SECRET,
      token: `${token.split('.')[0]}.AbCd.${token.split('.')[2]}`,
      machineCode: MACHINE,
    },
    { why: 'a token with padded base64', secret: SECRET, token: `${token.slice(0, -2)}==`, machineCode: MACHINE },
    { why: 'a token whose mac holds a standard-base64 character', secret: SECRET, token: `${token.slice(0, -1)}+`, machineCode: MACHINE },
    { why: 'a word', secret: SECRET, token: 'garbage', machineCode: MACHINE },
  ];

  for (const { why, secret, token: presented, machineCode } of refused) {
    it(`refuses ${why}`, () => {
      assert.equal(parseToken(secret, presented, machineCode), null);
    });
  }

  it('refuses the token with any one character of it flipped', () => {
    for (let index = 0; index < token.length; index++) {
      if (token.charAt(index) === '.') continue;
      const flipped = flipCharacter(token, index);
      assert.notEqual(flipped, token);
      assert.equal(parseToken(SECRET, flipped, MACHINE), null, `flipped character ${index}: ${flipped}`);
    }
  });
});

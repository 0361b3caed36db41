import assert from 'node:assert/strict';
import { createNonce, NONCE_LENGTH } from '#shared/security/binding-token';
import { decodeBindingRecord, encodeBindingRecord } from './binding-record';

const NONCE = 'AbCdEfGhIjKlMnOp';

describe('binding record', () => {
  it('packs the nonce and the seconds with nothing between them', () => {
    assert.equal(encodeBindingRecord({ nonce: NONCE, seconds: 1733000000 }), 'AbCdEfGhIjKlMnOp1733000000');
    assert.deepEqual(decodeBindingRecord('AbCdEfGhIjKlMnOp1733000000'), { nonce: NONCE, seconds: 1733000000 });
  });

  it('ends the nonce after NONCE_LENGTH characters', () => {
    assert.equal(decodeBindingRecord(`${'9'.repeat(NONCE_LENGTH)}42`)?.nonce, '9'.repeat(NONCE_LENGTH));
  });

  const roundTrips: ReadonlyArray<{ seconds: number; why: string }> = [
    { seconds: 0, why: 'a binding commit-bindings.lua wrote, not seen yet' },
    { seconds: 1733000000, why: 'a last-seen of today' },
    { seconds: Number.MAX_SAFE_INTEGER, why: 'the largest safe integer' },
  ];
  for (const { seconds, why } of roundTrips) {
    it(`reads back what it wrote: ${why} (${seconds})`, () => {
      const nonce = createNonce();
      assert.deepEqual(decodeBindingRecord(encodeBindingRecord({ nonce, seconds })), { nonce, seconds });
    });
  }

  it('reads back every nonce createNonce makes', () => {
    for (let i = 0; i < 1000; i++) {
      const record = { nonce: createNonce(), seconds: 1733000000 + i };
      assert.deepEqual(decodeBindingRecord(encodeBindingRecord(record)), record);
    }
  });

  const malformed: ReadonlyArray<{ text: string; why: string }> = [
    { text: '', why: 'an empty value' },
    { text: NONCE, why: 'a nonce without seconds' },
    { text: '1733000000', why: 'seconds without a nonce' },
    { text: 'AbCdEfGhIjKlMnO', why: 'a nonce one character short, without seconds' },
    { text: `${NONCE}-1`, why: 'negative seconds' },
    { text: `${NONCE}17330.5`, why: 'fractional seconds' },
    { text: `${NONCE}1e9`, why: 'seconds in exponent form' },
    { text: `${NONCE}0x10`, why: 'hexadecimal seconds' },
    { text: `${NONCE} 1733000000`, why: 'a space before the seconds' },
    { text: `${NONCE}1733000000\n`, why: 'a line break after the seconds' },
    { text: `${NONCE}１７３３`, why: 'digits that are not ASCII' },
    { text: `${NONCE}${'9'.repeat(17)}`, why: 'seconds beyond the safe integers' },
    { text: 'AbCd+fGhIjKlMnOp1733000000', why: 'a nonce with a character outside base64url' },
    { text: 'AbCdéfGhIjKlMnO1733000000', why: 'a nonce with a character of two bytes, where Lua would end it elsewhere' },
  ];
  for (const { text, why } of malformed) {
    it(`reads no record from ${why} (${JSON.stringify(text)})`, () => {
      assert.equal(decodeBindingRecord(text), null);
    });
  }
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { NONCE_LENGTH } from '#shared/security/binding-token';
import { expandIncludes, readScript, SCRIPT_FILES } from './scripts';

/**
 * The SHA1 under which Redis knows each script (EVALSHA, SCRIPT LOAD), pinned
 * like upstash/ratelimit-js `src/lua-scripts/hash.test.ts`: a change to a
 * script or to an include it pulls in must change this table too, so it is a
 * deliberate, reviewed change (processes still running the old script keep
 * calling the old SHA). Hashes are of the expanded text, what Redis runs.
 * Reads the files only; no Redis server is involved.
 */
const PINNED_SHA1: Record<keyof typeof SCRIPT_FILES, string> = {
  bindNodes: '1f2fcd4562eb2b6991fdb14643f698d46b34ca43',
  commitBindings: '728f620c6b6f48d3576492c47acf2469e069ea52',
  undoBindNodes: 'becd2a87e1fa83021f93385d5fa298911304befe',
  loadAccount: 'e7f9a0049f4a6b99eb567309b7745b9366116e8f',
  unbindNodes: '12df2b4d0e6d020f5625eabb81b61356e0cec047',
  invalidateAccount: '5be7dda0b183b4601e5ac438c529fc0641e25c42',
  verifyBinding: 'f14995f780f5898a9c1c77c574081d8eac5d8044',
  reserveLogin: 'f574e16754540b16abc5f1bc65631383a7448e8b',
  settleLogin: '10f9482ff2312eae2d93f0848a2202e5e1ccf40d',
  keepLeases: '579bb64149efb4177a2811119b95791ca4bb2af2',
  rememberGone: 'c6ad94a924b2538c304c7b4c7a557d97edf1d6cc',
};

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

describe('Lua scripts', () => {
  it('pins a hash for every script and no other', () => {
    assert.deepEqual(Object.keys(PINNED_SHA1).sort(), Object.keys(SCRIPT_FILES).sort());
  });

  for (const name of Object.keys(SCRIPT_FILES) as Array<keyof typeof SCRIPT_FILES>) {
    it(`keeps ${SCRIPT_FILES[name].file} at its pinned SHA1`, () => {
      assert.equal(sha1(readScript(name)), PINNED_SHA1[name]);
    });
  }

  it('leaves no include directive unexpanded in any script', () => {
    for (const name of Object.keys(SCRIPT_FILES) as Array<keyof typeof SCRIPT_FILES>) {
      assert.doesNotMatch(readScript(name), /@include/, SCRIPT_FILES[name].file);
    }
  });

  it('replaces the directive line with the include, keeping the lines around it', () => {
    const include = expandIncludes('--@include binding-record', 'test.lua');
    assert.match(include, /^local function recordNonce\(record\)$/m);
    assert.equal(expandIncludes('local a = 1\n--@include binding-record\nreturn a\n', 'test.lua'), `local a = 1\n${include}\nreturn a\n`);
  });

  it('fails loudly on an include that does not exist', () => {
    assert.throws(() => expandIncludes('--@include no-such-include\nreturn 1\n', 'test.lua'), {
      message: 'test.lua: unknown Lua include "no-such-include"',
    });
  });

  const malformed = [
    '--@include',
    '--@include ../lua/bind-nodes',
    '--@include Binding-Record',
    '--@include binding-record extra',
    '-- @include binding-record',
    '--@include  binding-record',
    '--@includes binding-record',
  ];
  for (const line of malformed) {
    it(`fails loudly on a malformed directive ${JSON.stringify(line)}`, () => {
      assert.throws(() => expandIncludes(`${line}\nreturn 1\n`, 'test.lua'), {
        message: `test.lua: malformed Lua include directive ${JSON.stringify(line)}`,
      });
    });
  }

  it('cuts the nonce out of a binding record in Lua at NONCE_LENGTH, as binding-record.ts does', () => {
    const [, length] = /^local NONCE_LENGTH = (\d+)$/m.exec(expandIncludes('--@include binding-record', 'test.lua')) ?? [];
    assert.equal(Number(length), NONCE_LENGTH);
  });
});

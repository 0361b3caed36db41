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
  bindNodes: 'c00d033a0a21ff81574ed00e8391211a72d78803',
  commitBindings: 'eece46a731ff9e60d4691d5d398827cf3abf3403',
  undoBindNodes: 'becd2a87e1fa83021f93385d5fa298911304befe',
  loadAccount: 'e7f9a0049f4a6b99eb567309b7745b9366116e8f',
  unbindNodes: 'ae7b88fe5f30bd93bed9862f65775f07c5f67bb6',
  invalidateAccount: '00e555053d35700b81d9fb0248fe0f216a389420',
  verifyBinding: '4cff539f4c7c54308d19db4dae47a44eac023186',
  reserveLogin: 'b7c2e702fd871fe6ada476c9f915f463a4aeaf16',
  reserveLoginAddress: '7e1200e4f03de1cf420df5f1eefba78deb62dc3e',
  settleLogin: 'bcae4c7848863d2b2442b0c44b6b0d6dbfbe4ef7',
  settleLoginAddress: '143c12f5b0def73d44f0fc3e7f3da55704cd8bf2',
  keepLeases: '6b0d96739186c4bfece9fcfad0272dd00aa1a578',
  rememberGone: '8045d9e0eaedd28a7b39169e9fdecd58743817f7',
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

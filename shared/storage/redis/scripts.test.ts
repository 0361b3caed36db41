import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readScript, SCRIPT_FILES } from './scripts';

/**
 * The SHA1 under which Redis knows each script (EVALSHA, SCRIPT LOAD), pinned
 * like upstash/ratelimit-js `src/lua-scripts/hash.test.ts`: a change to a
 * script must change this table too, so it is a deliberate, reviewed change
 * (processes still running the old script keep calling the old SHA).
 * Reads the files only; no Redis server is involved.
 */
const PINNED_SHA1: Record<keyof typeof SCRIPT_FILES, string> = {
  bindNodes: '333aaf73ee29f87b26bf0594b1e2c7a14036ec78',
  commitBindings: 'c28c1b4960f5ef72f0d27db2fb32fb3d08924cc0',
  undoBindNodes: '3f9ee8d7132bdf01051619b9bb1c79d453269221',
  loadAccount: 'b8b5d6af82103d43e56b1bb24bfd2f2fa66a6e24',
  unbindNodes: 'ae7b88fe5f30bd93bed9862f65775f07c5f67bb6',
  invalidateAccount: '00e555053d35700b81d9fb0248fe0f216a389420',
  verifyBinding: '38c93c828fb12cba9bd2f6d35434700bb6c6f33e',
  reserveLogin: 'f574e16754540b16abc5f1bc65631383a7448e8b',
  settleLogin: '10f9482ff2312eae2d93f0848a2202e5e1ccf40d',
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
});

import { strict as assert } from 'node:assert';
import { parseCommandLine } from './command-line';

describe('parseCommandLine', () => {
  it('reads a password that starts with a dash exactly as typed', () => {
    for (const password of ['-abc-123-x', '--looks-like-an-option', '-']) {
      assert.deepEqual(parseCommandLine(['staff:create', '--email', 'ops@vendor.example', '--role', 'admin', '--password', password]), {
        ok: true,
        invocation: { command: 'staff:create', input: { email: 'ops@vendor.example', role: 'admin', password } },
      });
    }
  });

  it('still refuses --password with no value, and one given twice', () => {
    assert.equal(parseCommandLine(['staff:create', '--email', 'ops@vendor.example', '--role', 'admin', '--password']).ok, false);
    const twice = parseCommandLine(['staff:create', '--email', 'a@b.example', '--role', 'admin', '--password', 'x', '--password', 'y']);
    assert.equal(twice.ok, false);
  });
});

import assert from 'node:assert/strict';
import { isNotRunHere } from './client';

/** Which failures of an auto-pipelined script may be sent again alone: only those where nothing ran. */
describe('Redis client: commands the cluster did not run', () => {
  for (const message of [
    'MOVED 3999 127.0.0.1:6381',
    'ASK 3999 127.0.0.1:6381',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'All keys in the pipeline should belong to the same slots allocation group',
  ]) {
    it(`sends again: ${message}`, () => {
      assert.equal(isNotRunHere(new Error(message)), true);
    });
  }

  for (const message of [
    'Command timed out',
    'Connection is closed.',
    'ERR Error running script (call to f_…): @user_script:12: oops',
    'CLUSTERDOWN The cluster is down',
    'MOVEDX 3999 127.0.0.1:6381',
    'All keys in the pipeline should belong to the same slots allocation group, and more',
  ]) {
    it(`does not send again: ${message}`, () => {
      assert.equal(isNotRunHere(new Error(message)), false);
    });
  }

  it('reads nothing that is not an Error', () => {
    assert.equal(isNotRunHere('MOVED 3999 127.0.0.1:6381'), false);
  });
});

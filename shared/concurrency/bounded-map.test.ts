import assert from 'node:assert/strict';
import { rememberBounded } from './bounded-map';

describe('rememberBounded', function () {
  it('drops the oldest entry at the bound and moves a key set again to the newest place', function () {
    const map = new Map<string, number>();
    for (const [key, value] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      rememberBounded(map, key, value, 3);
    rememberBounded(map, 'a', 4, 3);
    rememberBounded(map, 'd', 5, 3);
    assert.deepEqual(
      [...map],
      [
        ['c', 3],
        ['a', 4],
        ['d', 5],
      ],
    );
  });
});

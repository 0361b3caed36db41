import assert from 'node:assert/strict';
import { checkUnbindQuota, secondsUntilLeaves, UNBIND_WINDOW_SECONDS } from './unbind-quota';

describe('checkUnbindQuota', () => {
  const cases: ReadonlyArray<{
    why: string;
    limit: number | null;
    countedInWindow: number;
    requested: number;
    expected: ReturnType<typeof checkUnbindQuota>;
  }> = [
    { why: 'no limit fits anything', limit: null, countedInWindow: 1_000, requested: 50, expected: { kind: 'fits' } },
    { why: 'fits when the count reaches the limit exactly', limit: 2, countedInWindow: 1, requested: 1, expected: { kind: 'fits' } },
    {
      why: 'one past the limit waits for the oldest',
      limit: 2,
      countedInWindow: 2,
      requested: 1,
      expected: { kind: 'over', mustLeave: 1 },
    },
    {
      why: 'a request of two needs two to leave',
      limit: 3,
      countedInWindow: 3,
      requested: 2,
      expected: { kind: 'over', mustLeave: 2 },
    },
    { why: 'zero refuses any unbinding for good', limit: 0, countedInWindow: 0, requested: 1, expected: { kind: 'never' } },
    { why: 'more machines than the limit never fit', limit: 2, countedInWindow: 0, requested: 3, expected: { kind: 'never' } },
  ];
  for (const { why, expected, ...input } of cases) {
    it(why, () => assert.deepEqual(checkUnbindQuota(input), expected));
  }
});

describe('secondsUntilLeaves', () => {
  const now = 1_800_000_000_000;
  it('counts whole seconds up to the end of the window', () => {
    assert.equal(secondsUntilLeaves(now - 1_000, now), UNBIND_WINDOW_SECONDS - 1);
    assert.equal(secondsUntilLeaves(now - 1_500, now), UNBIND_WINDOW_SECONDS - 1);
  });
  it('is never below 1 nor above the window', () => {
    assert.equal(secondsUntilLeaves(now - UNBIND_WINDOW_SECONDS * 1000, now), 1);
    assert.equal(secondsUntilLeaves(now + 60_000, now), UNBIND_WINDOW_SECONDS);
  });
  it('is the whole window when no wait helps', () => {
    assert.equal(secondsUntilLeaves(null, now), UNBIND_WINDOW_SECONDS);
  });
});

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKeyedLimiter } from './keyed-limiter';

describe('createKeyedLimiter', function () {
  it('runs at most `limit` tasks of one key at once, and all of them in the end', async function () {
    const limiter = createKeyedLimiter(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        limiter.run('acme', async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(2);
          running--;
          return index;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, index) => index),
    );
  });

  it('does not hold one key back for another', async function () {
    const limiter = createKeyedLimiter(1);
    let release: () => void = () => undefined;
    const blocked = limiter.run('a', () => new Promise<void>((resolve) => (release = resolve)));
    assert.equal(await limiter.run('b', () => Promise.resolve('b ran')), 'b ran');
    release();
    await blocked;
  });

  it('passes a failing task on and frees its slot', async function () {
    const limiter = createKeyedLimiter(1);
    await assert.rejects(
      limiter.run('a', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await limiter.run('a', () => Promise.resolve('next')), 'next');
  });

  it('starts waiting tasks in arrival order', async function () {
    const limiter = createKeyedLimiter(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => limiter.run('k', () => Promise.resolve(order.push(n)))));
    assert.deepEqual(order, [1, 2, 3, 4]);
  });
});

import assert from 'node:assert/strict';
import { loginKeys } from '#shared/storage/redis/keys';
import type { LoginLimits } from '#shared/storage/redis/scripts';
import { createLocalLoginCounter } from './local-login-counter';

const LIMITS: LoginLimits = {
  pair: { limit: 3, windowSeconds: 60 },
  address: { limit: 5, windowSeconds: 60 },
  account: { limit: 6, windowSeconds: 600 },
  newcomerLimit: 2,
  trustedAddressSeconds: 3600,
};

/** The in-process fallback of reserve-login.lua / settle-login.lua: the same answers, on an injected clock. */
describe('local login counter (throttling while Redis is away)', function () {
  let nowMs = 0;
  let ids = 0;
  const counter = () => createLocalLoginCounter({ now: () => nowMs, maxKeys: 1_000 });
  beforeEach(function () {
    nowMs = 1_000_000;
  });

  async function attempt(limiter: ReturnType<typeof counter>, address: string, account: string, outcome: 'failed' | 'succeeded' | null) {
    const keys = loginKeys('t:', address, account);
    const id = String(ids++);
    const reply = await limiter.reserve(keys, { nowMs, id, reservationTtlMs: 30_000, limits: LIMITS });
    if (reply.kind === 'RESERVED' && outcome) await limiter.settle(keys, { id, outcome, limits: LIMITS });
    return reply.kind;
  }

  it('throttles a pair at its limit until its window has passed, with the seconds left', async function () {
    const limiter = counter();
    for (let i = 0; i < 3; i++) assert.equal(await attempt(limiter, 'a', 'acme', 'failed'), 'RESERVED');
    const keys = loginKeys('t:', 'a', 'acme');
    nowMs += 20_000;
    assert.deepEqual(await limiter.reserve(keys, { nowMs, id: 'x', reservationTtlMs: 30_000, limits: LIMITS }), {
      kind: 'THROTTLED',
      retryAfterSeconds: 40,
    });
    nowMs += 40_000;
    assert.equal(await attempt(limiter, 'a', 'acme', null), 'RESERVED');
  });

  it('counts attempts in flight (BUSY, not a failure) and forgets those of a process that died', async function () {
    const limiter = counter();
    for (let i = 0; i < 3; i++) assert.equal(await attempt(limiter, 'a', 'acme', null), 'RESERVED');
    assert.equal(await attempt(limiter, 'a', 'acme', null), 'BUSY');
    nowMs += 30_001;
    assert.equal(await attempt(limiter, 'a', 'acme', null), 'RESERVED');
  });

  it('clears a pair and trusts its address after a success, so failures elsewhere do not lock it out', async function () {
    const limiter = counter();
    await attempt(limiter, 'home', 'acme', 'failed');
    await attempt(limiter, 'home', 'acme', 'succeeded');
    for (let i = 0; i < 6; i++) await attempt(limiter, `x${String(i)}`, 'acme', 'failed');
    assert.equal(await attempt(limiter, 'new', 'acme', 'failed'), 'RESERVED', 'a newcomer gets its own attempts');
    assert.equal(await attempt(limiter, 'new', 'acme', 'failed'), 'RESERVED');
    assert.equal(await attempt(limiter, 'new', 'acme', null), 'THROTTLED', 'then the account-wide limit holds');
    assert.equal(await attempt(limiter, 'home', 'acme', null), 'RESERVED', 'the trusted address is held only to its pair limit');
  });

  it('throttles one address across accounts', async function () {
    const limiter = counter();
    for (let i = 0; i < 5; i++) await attempt(limiter, 'a', `account-${String(i)}`, 'failed');
    assert.equal(await attempt(limiter, 'a', 'another', null), 'THROTTLED');
    assert.equal(await attempt(limiter, 'b', 'another', null), 'RESERVED');
  });

  it('keeps at most maxKeys counters, dropping the oldest first', async function () {
    const limiter = createLocalLoginCounter({ now: () => nowMs, maxKeys: 8 });
    for (let i = 0; i < 3; i++) await attempt(limiter, 'a', 'acme', 'failed');
    assert.equal(await attempt(limiter, 'a', 'acme', null), 'THROTTLED');
    for (let i = 0; i < 10; i++) await attempt(limiter, `flood-${String(i)}`, `x-${String(i)}`, 'failed');
    assert.equal(await attempt(limiter, 'a', 'acme', null), 'RESERVED', 'bounded memory forgets the oldest');
  });
});

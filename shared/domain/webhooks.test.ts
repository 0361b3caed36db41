import assert from 'node:assert/strict';
import { isPublicAddress, parseRetryAfter, retryDelaySeconds } from './webhooks';

describe('webhook rules', function () {
  describe('isPublicAddress', function () {
    const cases: Array<[string, boolean]> = [
      ['203.0.114.7', true],
      ['8.8.8.8', true],
      ['2a00:1450:4001:82b::200e', true],
      ['127.0.0.1', false],
      ['10.1.2.3', false],
      ['172.16.0.1', false],
      ['192.168.1.1', false],
      ['169.254.169.254', false],
      ['100.64.0.1', false],
      ['0.0.0.0', false],
      ['224.0.0.1', false],
      ['255.255.255.255', false],
      ['::1', false],
      ['::', false],
      ['fe80::1', false],
      ['fc00::1', false],
      ['ff02::1', false],
      ['::ffff:127.0.0.1', false],
      ['::ffff:8.8.8.8', true],
      ['not an address', false],
    ];
    for (const [address, expected] of cases) {
      it(`${address} is ${expected ? 'public' : 'refused'}`, function () {
        assert.equal(isPublicAddress(address), expected);
      });
    }
  });

  describe('retryDelaySeconds', function () {
    const delays = [5, 300];
    it('takes the delay of the attempt, with jitter of at most 20 %', function () {
      assert.equal(retryDelaySeconds({ delays, attempts: 1, retryAfterSeconds: null, random: 0.5, isRetryRequested: false }), 5);
      assert.equal(retryDelaySeconds({ delays, attempts: 1, retryAfterSeconds: null, random: 0, isRetryRequested: false }), 4);
      assert.ok(
        Math.abs(
          (retryDelaySeconds({ delays, attempts: 2, retryAfterSeconds: null, random: 0.999_999, isRetryRequested: false }) ?? 0) - 360,
        ) < 0.01,
      );
    });
    it('is a dead letter after N + 1 attempts', function () {
      assert.equal(retryDelaySeconds({ delays, attempts: 3, retryAfterSeconds: null, random: 0.5, isRetryRequested: false }), null);
    });
    it('never reschedules an attempt staff asked for: a failed retry is failed again', function () {
      assert.equal(retryDelaySeconds({ delays, attempts: 1, retryAfterSeconds: null, random: 0.5, isRetryRequested: true }), null);
      assert.equal(retryDelaySeconds({ delays, attempts: 1, retryAfterSeconds: 60, random: 0.5, isRetryRequested: true }), null);
    });
    it('honours a longer Retry-After, at most 24 h, and ignores a shorter one', function () {
      assert.equal(retryDelaySeconds({ delays, attempts: 1, retryAfterSeconds: 60, random: 0.5, isRetryRequested: false }), 60);
      assert.equal(retryDelaySeconds({ delays, attempts: 1, retryAfterSeconds: 1, random: 0.5, isRetryRequested: false }), 5);
      assert.equal(retryDelaySeconds({ delays, attempts: 1, retryAfterSeconds: 10 ** 9, random: 0.5, isRetryRequested: false }), 86_400);
    });
  });

  describe('parseRetryAfter', function () {
    it('reads seconds and HTTP dates', function () {
      assert.equal(parseRetryAfter('120', 0), 120);
      assert.equal(parseRetryAfter(new Date(30_000).toUTCString(), 0), 30);
      assert.equal(parseRetryAfter(undefined, 0), null);
      assert.equal(parseRetryAfter('soon', 0), null);
    });
  });
});

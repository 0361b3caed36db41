import type { Redis } from 'ioredis';
import { guardStore } from '../errors';
import { throttleKeys } from './keys';

/**
 * Failed-login throttling (contract rule 6), as fixed-window counters in
 * Redis shared by every API process. Three counters: this address for this
 * account, this address for any account, this account from any address.
 *
 * So that an attacker cannot lock the real customer out with the account-wide
 * counter, an address that has logged in to the account successfully before
 * (within the trusted period) is held only to its own per-account counter.
 */
export interface ThrottleLimits {
  pair: { limit: number; windowSeconds: number };
  address: { limit: number; windowSeconds: number };
  account: { limit: number; windowSeconds: number };
  trustedAddressSeconds: number;
}

export interface ThrottleCheck {
  /** Seconds to wait when throttled, else null. */
  retryAfterSeconds: number | null;
  /** No failure is on record for this address and account, and the address is trusted: a success changes nothing. */
  isClean: boolean;
}

export interface Throttle {
  check(address: string, account: string): Promise<ThrottleCheck>;
  recordFailure(address: string, account: string): Promise<void>;
  recordSuccess(address: string, account: string): Promise<void>;
}

export function createThrottle(redis: Redis, prefix: string, limits: ThrottleLimits): Throttle {
  return {
    async check(address, account) {
      const keys = throttleKeys(prefix, address, account);
      const [pair, perAddress, perAccount, trusted] = await guardStore('redis', () =>
        redis.mget(keys.pair, keys.address, keys.account, keys.trusted),
      );
      const tripped: string[] = [];
      if (Number(pair ?? 0) >= limits.pair.limit) tripped.push(keys.pair);
      if (trusted === null) {
        if (Number(perAddress ?? 0) >= limits.address.limit) tripped.push(keys.address);
        if (Number(perAccount ?? 0) >= limits.account.limit) tripped.push(keys.account);
      }
      if (tripped.length === 0) return { retryAfterSeconds: null, isClean: pair === null && trusted !== null };
      const ttls = await guardStore('redis', () => Promise.all(tripped.map((key) => redis.ttl(key))));
      return { retryAfterSeconds: Math.max(1, ...ttls), isClean: false };
    },

    async recordFailure(address, account) {
      const keys = throttleKeys(prefix, address, account);
      await guardStore('redis', () =>
        redis
          .multi()
          .incr(keys.pair)
          .expire(keys.pair, limits.pair.windowSeconds, 'NX')
          .incr(keys.address)
          .expire(keys.address, limits.address.windowSeconds, 'NX')
          .incr(keys.account)
          .expire(keys.account, limits.account.windowSeconds, 'NX')
          .exec(),
      );
    },

    async recordSuccess(address, account) {
      const keys = throttleKeys(prefix, address, account);
      await guardStore('redis', () =>
        redis.multi().del(keys.pair).set(keys.trusted, '1', 'EX', limits.trustedAddressSeconds).exec(),
      );
    },
  };
}

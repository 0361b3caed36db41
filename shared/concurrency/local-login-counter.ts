import type { LoginKeys } from '#shared/storage/redis/keys';
import type { LoginLimits, LoginOutcome, ReserveLoginReply } from '#shared/storage/redis/scripts';

/**
 * The login throttle's counting (reserve-login.lua, settle-login.lua) kept in
 * this process's memory, for when Redis cannot be asked: the same limits,
 * answers and lockout-safe exceptions, counted per process instead of across
 * all of them. So an outage of Redis multiplies what a guesser gets by the
 * number of API processes at most; it never opens logins to unlimited
 * guessing. Entries expire like their Redis keys; beyond `maxKeys` the
 * oldest are dropped first, which bounds memory under a flood of addresses.
 */
export interface LoginCounter {
  reserve(keys: LoginKeys, input: { nowMs: number; id: string; reservationTtlMs: number; limits: LoginLimits }): Promise<ReserveLoginReply>;
  /** False when the reservation had already expired. */
  settle(keys: LoginKeys, input: { id: string; outcome: LoginOutcome; limits: LoginLimits }): Promise<boolean>;
}

interface Counter {
  count: number;
  expiresAtMs: number;
}

export function createLocalLoginCounter(options: { now: () => number; maxKeys: number }): LoginCounter {
  const counters = new Map<string, Counter>();
  /** key -> reservation id -> expiry (unix ms) */
  const inFlight = new Map<string, Map<string, number>>();

  function trim<V>(map: Map<string, V>): void {
    while (map.size > options.maxKeys) {
      const oldest = map.keys().next();
      if (oldest.done === true) return;
      map.delete(oldest.value);
    }
  }

  function live(key: string, nowMs: number): Counter | undefined {
    const counter = counters.get(key);
    if (counter && counter.expiresAtMs <= nowMs) {
      counters.delete(key);
      return undefined;
    }
    return counter;
  }

  const failures = (key: string, nowMs: number) => live(key, nowMs)?.count ?? 0;
  const secondsLeft = (key: string, nowMs: number) => Math.max(Math.ceil(((live(key, nowMs)?.expiresAtMs ?? nowMs) - nowMs) / 1000), 1);

  function pending(key: string, nowMs: number): number {
    const held = inFlight.get(key);
    if (!held) return 0;
    for (const [id, expiry] of held) if (expiry <= nowMs) held.delete(id);
    if (held.size === 0) inFlight.delete(key);
    return held.size;
  }

  function countFailure(key: string, windowSeconds: number, nowMs: number): void {
    const counter = live(key, nowMs);
    if (counter) {
      counter.count++;
      return;
    }
    counters.set(key, { count: 1, expiresAtMs: nowMs + windowSeconds * 1000 });
    trim(counters);
  }

  function reserve(
    keys: LoginKeys,
    input: { nowMs: number; id: string; reservationTtlMs: number; limits: LoginLimits },
  ): ReserveLoginReply {
    const { nowMs: now, limits } = input;
    const pairFailed = failures(keys.pairFailures, now);
    const pairPending = pending(keys.pairInFlight, now);
    if (pairFailed >= limits.pair.limit) return { kind: 'THROTTLED', retryAfterSeconds: secondsLeft(keys.pairFailures, now) };
    let isBusy = pairFailed + pairPending >= limits.pair.limit;

    if (!live(keys.trusted, now)) {
      const addressFailed = failures(keys.addressFailures, now);
      if (addressFailed >= limits.address.limit) return { kind: 'THROTTLED', retryAfterSeconds: secondsLeft(keys.addressFailures, now) };
      isBusy ||= addressFailed + pending(keys.addressInFlight, now) >= limits.address.limit;

      const accountFailed = failures(keys.accountFailures, now);
      if (accountFailed >= limits.account.limit) {
        const history = failures(keys.pairHistory, now);
        if (history >= limits.newcomerLimit) {
          const seconds = Math.min(secondsLeft(keys.accountFailures, now), secondsLeft(keys.pairHistory, now));
          return { kind: 'THROTTLED', retryAfterSeconds: seconds };
        }
        isBusy ||= history + pairPending >= limits.newcomerLimit;
      } else {
        isBusy ||= accountFailed + pending(keys.accountInFlight, now) >= limits.account.limit;
      }
    }

    if (isBusy) return { kind: 'BUSY' };
    const expiry = now + input.reservationTtlMs;
    for (const key of [keys.pairInFlight, keys.addressInFlight, keys.accountInFlight]) {
      const held = inFlight.get(key) ?? new Map<string, number>();
      held.set(input.id, expiry);
      inFlight.set(key, held);
    }
    trim(inFlight);
    return { kind: 'RESERVED' };
  }

  function settle(keys: LoginKeys, input: { id: string; outcome: LoginOutcome; limits: LoginLimits }): boolean {
    const now = options.now();
    let held = false;
    for (const key of [keys.pairInFlight, keys.addressInFlight, keys.accountInFlight]) {
      const reservations = inFlight.get(key);
      const expiry = reservations?.get(input.id);
      held = expiry !== undefined && expiry > now;
      reservations?.delete(input.id);
    }
    const { limits } = input;
    if (input.outcome === 'failed') {
      countFailure(keys.pairFailures, limits.pair.windowSeconds, now);
      countFailure(keys.addressFailures, limits.address.windowSeconds, now);
      countFailure(keys.accountFailures, limits.account.windowSeconds, now);
      countFailure(keys.pairHistory, limits.account.windowSeconds, now);
    } else if (input.outcome === 'succeeded') {
      counters.delete(keys.pairFailures);
      counters.delete(keys.pairHistory);
      counters.set(keys.trusted, { count: 1, expiresAtMs: now + limits.trustedAddressSeconds * 1000 });
      trim(counters);
    }
    return held;
  }

  return {
    reserve: (keys, input) => Promise.resolve(reserve(keys, input)),
    settle: (keys, input) => Promise.resolve(settle(keys, input)),
  };
}

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalLoginCounter, type LoginCounter } from '#shared/concurrency/local-login-counter';
import { StoreFailure } from '../errors';
import { loginKeys, type LoginKeys } from './keys';
import { createLoginSteps } from './login-steps';
import type { LoginLimits, LoginOutcome, Scripts } from './scripts';

export type { LoginLimits, LoginOutcome };

/**
 * Failed-login throttling (contract rule 6), shared by every API process
 * through Redis. Each login reserves its attempt before the password is
 * checked and settles it after (reserve-login.lua, settle-login.lua), so no
 * burst gets more attempts past the check than a limit allows. What the
 * limits guarantee and trade is in the README ("Security").
 *
 * When Redis cannot be asked, the same counting runs in this process
 * (`fallback`, local-login-counter.ts) and `onFallback` is told, so an
 * outage of Redis never opens logins to unlimited guessing.
 */
export interface LoginReservation {
  id: string;
  keys: LoginKeys;
  /** The counter that holds the reservation, which settles it too. */
  counter: LoginCounter;
}

export type LoginCheck = { kind: 'reserved'; reservation: LoginReservation } | { kind: 'throttled'; retryAfterSeconds: number };

export interface Throttle {
  /** Waits while the limit is reached only by attempts still in flight, up to a deadline. `requestId` names the login to onFallback. */
  reserve(address: string, account: string, requestId?: string): Promise<LoginCheck>;
  settle(reservation: LoginReservation, outcome: LoginOutcome): Promise<void>;
}

/** Longer than any password check takes; a reservation of a process that died counts this long. */
const RESERVATION_TTL_MS = 30_000;
/**
 * How long a login waits for attempts in flight to settle before it is
 * answered as throttled: a storm of re-registrations from one address (a
 * data centre behind one NAT) queues behind bcrypt for seconds, and is not
 * refused for it. Well under HTTP_REQUEST_TIMEOUT_MS's default.
 */
const BUSY_DEADLINE_MS = 20_000;
const BUSY_RETRY_AFTER_SECONDS = 1;
const BUSY_FIRST_PAUSE_MS = 5;
const BUSY_LONGEST_PAUSE_MS = 250;

/** Counters the fallback keeps at most (a few hundred bytes each): a flood of addresses cannot grow a process without bound. */
const FALLBACK_MAX_KEYS = 200_000;

/** Full jitter over a doubling ceiling: waiting logins neither ask in step nor keep Redis busy. */
const busyPause = (attempt: number) => sleep(Math.random() * Math.min(BUSY_LONGEST_PAUSE_MS, BUSY_FIRST_PAUSE_MS * 2 ** attempt));

export function createThrottle(deps: {
  scripts: Scripts;
  prefix: string;
  limits: LoginLimits;
  now: () => number;
  /** Told of every login the fallback counts instead of Redis, with the request that logged in when known. */
  onFallback: (error: StoreFailure, requestId: string | undefined) => void;
  fallback?: LoginCounter;
}): Throttle {
  const { limits } = deps;
  const fallback = deps.fallback ?? createLocalLoginCounter({ now: deps.now, maxKeys: FALLBACK_MAX_KEYS });
  // Each login's keys sit in two slots (the account's, the address's): login-steps.ts runs one script per slot.
  const shared: LoginCounter = createLoginSteps(deps.scripts);

  async function reserveWith(
    counter: LoginCounter,
    keys: LoginKeys,
    id: string,
    requestId: string | undefined,
  ): Promise<{ counter: LoginCounter; reply: Awaited<ReturnType<LoginCounter['reserve']>> }> {
    const input = { nowMs: deps.now(), id, reservationTtlMs: RESERVATION_TTL_MS, limits };
    if (counter === fallback) return { counter, reply: await fallback.reserve(keys, input) };
    try {
      return { counter, reply: await shared.reserve(keys, input) };
    } catch (error) {
      if (!(error instanceof StoreFailure)) throw error;
      deps.onFallback(error, requestId);
      return { counter: fallback, reply: await fallback.reserve(keys, input) };
    }
  }

  return {
    async reserve(address, account, requestId) {
      const keys = loginKeys(deps.prefix, address, account);
      const id = randomBytes(9).toString('base64url');
      const deadline = deps.now() + BUSY_DEADLINE_MS;
      let counter = shared;
      for (let attempt = 0; ; attempt++) {
        const asked = await reserveWith(counter, keys, id, requestId);
        ({ counter } = asked);
        const { reply } = asked;
        if (reply.kind === 'RESERVED') return { kind: 'reserved', reservation: { id, keys, counter } };
        if (reply.kind === 'THROTTLED') return { kind: 'throttled', retryAfterSeconds: reply.retryAfterSeconds };
        if (deps.now() >= deadline) return { kind: 'throttled', retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
        await busyPause(attempt);
      }
    },

    async settle(reservation, outcome) {
      await reservation.counter.settle(reservation.keys, { id: reservation.id, outcome, limits });
    },
  };
}

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loginKeys, type LoginKeys } from './keys';
import type { LoginLimits, LoginOutcome, Scripts } from './scripts';

export type { LoginLimits, LoginOutcome };

/**
 * Failed-login throttling (contract rule 6), shared by every API process
 * through Redis. Each login reserves its attempt before the password is
 * checked and settles it after (reserve-login.lua, settle-login.lua), so no
 * burst gets more attempts past the check than a limit allows. What the
 * limits guarantee and trade is in the README ("Security").
 */
export interface LoginReservation {
  id: string;
  keys: LoginKeys;
}

export type LoginCheck = { kind: 'reserved'; reservation: LoginReservation } | { kind: 'throttled'; retryAfterSeconds: number };

export interface Throttle {
  /** Waits while the limit is reached only by attempts still in flight, up to a deadline. */
  reserve(address: string, account: string): Promise<LoginCheck>;
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

/** Full jitter over a doubling ceiling: waiting logins neither ask in step nor keep Redis busy. */
const busyPause = (attempt: number) => sleep(Math.random() * Math.min(BUSY_LONGEST_PAUSE_MS, BUSY_FIRST_PAUSE_MS * 2 ** attempt));

export function createThrottle(deps: { scripts: Scripts; prefix: string; limits: LoginLimits; now: () => number }): Throttle {
  const { scripts, limits } = deps;
  return {
    async reserve(address, account) {
      const keys = loginKeys(deps.prefix, address, account);
      const id = randomBytes(9).toString('base64url');
      const deadline = deps.now() + BUSY_DEADLINE_MS;
      for (let attempt = 0; ; attempt++) {
        const reply = await scripts.reserveLogin(keys, { nowMs: deps.now(), id, reservationTtlMs: RESERVATION_TTL_MS, limits });
        if (reply.kind === 'RESERVED') return { kind: 'reserved', reservation: { id, keys } };
        if (reply.kind === 'THROTTLED') return { kind: 'throttled', retryAfterSeconds: reply.retryAfterSeconds };
        if (deps.now() >= deadline) return { kind: 'throttled', retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
        await busyPause(attempt);
      }
    },

    async settle(reservation, outcome) {
      await scripts.settleLogin(reservation.keys, { id: reservation.id, outcome, limits });
    },
  };
}

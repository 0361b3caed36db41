import type { LoginKeys } from './keys';
import type { LoginLimits, LoginOutcome, ReserveLoginReply, Scripts } from './scripts';

/**
 * One login's reservation and settlement over the two slots its keys live
 * in (keys.ts, `loginKeys`): the account's (reserve-login.lua: the pair, the
 * account-wide limit, history, trust) and the address's (the address-wide
 * limit), one script each, so nothing spans slots on Redis Cluster.
 *
 * Each limit is still checked and counted in one atomic step, so none of them
 * ever lets more than its limit past the password check; what is no longer
 * atomic is the pair of steps. The account is reserved first (it knows
 * whether the address is trusted, which decides whether the address-wide
 * limit applies), then the address; when the address refuses, the account's
 * reservation is released. Between the two steps an attempt may count in the
 * account's in-flight set and then leave it: another attempt can only see
 * more in flight than there will be (BUSY, it waits), never less, so the
 * limits stay fail-closed. A release that fails leaves the reservation to
 * expire with its TTL, as a dead process's would.
 *
 * The answers keep the single script's precedence: the pair's failures, then
 * the address's, then the account's, then attempts in flight.
 */
export interface LoginSteps {
  reserve(keys: LoginKeys, input: { nowMs: number; id: string; reservationTtlMs: number; limits: LoginLimits }): Promise<ReserveLoginReply>;
  /** False when the account's reservation had already expired. */
  settle(keys: LoginKeys, input: { id: string; outcome: LoginOutcome; limits: LoginLimits }): Promise<boolean>;
}

export function createLoginSteps(scripts: Scripts): LoginSteps {
  return {
    async reserve(keys, input) {
      const account = await scripts.reserveLogin(keys, input);
      if (account.kind === 'THROTTLED') return account;
      if (account.kind === 'RESERVED' && account.isTrusted) {
        // The wide limit does not apply, but the attempt counts in flight for the address's other accounts.
        await releaseOnFailure(scripts, keys, input, () => scripts.reserveLoginAddress(keys, { ...input, mode: 'exempt' }));
        return { kind: 'RESERVED' };
      }
      if (account.kind === 'BUSY' && account.isTrusted) return { kind: 'BUSY' };
      if (account.kind !== 'RESERVED') {
        const address = await scripts.reserveLoginAddress(keys, { ...input, mode: 'check' });
        if (address.kind === 'THROTTLED') return address;
        return account.kind === 'ACCOUNT_THROTTLED'
          ? { kind: 'THROTTLED', retryAfterSeconds: account.retryAfterSeconds }
          : { kind: 'BUSY' };
      }
      const address = await releaseOnFailure(scripts, keys, input, () => scripts.reserveLoginAddress(keys, { ...input, mode: 'reserve' }));
      if (address.kind === 'RESERVED') return { kind: 'RESERVED' };
      await scripts.settleLogin(keys, { id: input.id, outcome: 'abandoned', limits: input.limits });
      return address.kind === 'THROTTLED' ? address : { kind: 'BUSY' };
    },

    async settle(keys, input) {
      const [held] = await Promise.all([scripts.settleLogin(keys, input), scripts.settleLoginAddress(keys, input)]);
      return held;
    },
  };
}

/** Runs the address's step; if it fails, releases the account's reservation (best effort) and rethrows. */
async function releaseOnFailure<T>(
  scripts: Scripts,
  keys: LoginKeys,
  input: { id: string; limits: LoginLimits },
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    await scripts.settleLogin(keys, { id: input.id, outcome: 'abandoned', limits: input.limits }).catch(() => undefined);
    throw error;
  }
}

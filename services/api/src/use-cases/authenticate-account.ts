import type { Refused, Throttled } from '../../../../shared/domain/outcome';
import { refuseOverall } from '../../../../shared/domain/outcome';
import type { AccountRecord } from '../../../../shared/storage/mysql/accounts';
import type { UseCaseContext } from './context';

export type Authentication = { kind: 'authenticated'; account: AccountRecord } | Refused | Throttled;

/**
 * Throttle, then one bcrypt compare whether or not the account exists, so an
 * unknown account and a wrong password look alike in body and timing.
 *
 * Throttling fails open: when Redis cannot be asked, the login goes on (still
 * paying for bcrypt) and the miss is counted. Only logins depend on it; no
 * seat is ever granted without Redis and MySQL both agreeing.
 */
export async function authenticateAccount(
  context: UseCaseContext,
  credentials: { account: string; password: string },
  address: string,
): Promise<Authentication> {
  const { throttle, metrics, logger } = context;
  const throttling = await throttle.check(address, credentials.account).catch((error: unknown) => {
    metrics.throttleUnavailable.inc();
    logger.warn({ err: error }, 'login throttling unavailable');
    return { retryAfterSeconds: null, isClean: false };
  });
  if (throttling.retryAfterSeconds !== null) {
    metrics.throttled.inc();
    return { kind: 'throttled', retryAfterSeconds: throttling.retryAfterSeconds };
  }

  const account = await context.accounts.findByName(credentials.account);
  const isValid = await context.passwords.verify(credentials.password, account?.passwordHash);
  // A success from a trusted address with no failures on record has nothing to clear or renew.
  if (!(isValid && throttling.isClean)) {
    const bookkeeping = isValid ? throttle.recordSuccess(address, credentials.account) : throttle.recordFailure(address, credentials.account);
    await bookkeeping.catch((error: unknown) => logger.warn({ err: error }, 'could not record a login for throttling'));
  }
  return isValid && account ? { kind: 'authenticated', account } : refuseOverall({ code: 'UNAUTHORIZED_ACCOUNT' });
}

import type { Refused, Throttled } from '#shared/domain/outcome';
import { refuseOverall } from '#shared/domain/outcome';
import type { AccountRecord } from '#shared/storage/mysql/accounts';
import type { LoginOutcome, LoginReservation } from '#shared/storage/redis/throttle';
import type { Caller } from './caller';
import type { UseCaseContext } from './context';

type Authentication =
  | {
      kind: 'authenticated';
      account: AccountRecord;
      /** The success's settlement with throttling, still under way; it never rejects (a failure is logged). */
      settled: Promise<void>;
    }
  | Refused
  | Throttled;

/**
 * Runs `work` for the account the credentials log in to, or answers why not.
 * A success's settlement with throttling is sent as `work` starts, so it
 * goes to Redis with work's first command (ioredis pipelines what one
 * event-loop turn sends): the answer waits for both.
 */
export async function whenAuthenticated<T>(
  context: UseCaseContext,
  credentials: { account: string; password: string },
  caller: Caller,
  work: (account: AccountRecord) => Promise<T>,
): Promise<T | Refused | Throttled> {
  const auth = await authenticateAccount(context, credentials, caller);
  if (auth.kind !== 'authenticated') return auth;
  try {
    return await work(auth.account);
  } finally {
    await auth.settled;
  }
}

/**
 * Reserve the attempt, then one bcrypt compare whether or not the account
 * exists (so an unknown account and a wrong password look alike in body and
 * timing), then settle the attempt by its outcome and tell the caller which
 * existing account, if any, it was (caller.ts). Compares of one account
 * wait their turn (context.loginCompares), so a burst against one account
 * cannot take every core.
 *
 * Throttling never fails open: when Redis cannot be asked, the throttle
 * counts in this process instead (throttle.ts).
 */
async function authenticateAccount(
  context: UseCaseContext,
  credentials: { account: string; password: string },
  caller: Caller,
): Promise<Authentication> {
  const { throttle, metrics, logger } = context;
  const { address } = caller;
  const event = { account: credentials.account, address, requestId: caller.requestId };
  const check = await throttle.reserve(address, credentials.account, caller.requestId);
  if (check.kind === 'throttled') {
    metrics.throttled.inc();
    logger.warn({ event: 'login.throttled', ...event, retryAfterSeconds: check.retryAfterSeconds }, 'login throttled');
    return { kind: 'throttled', retryAfterSeconds: check.retryAfterSeconds };
  }
  const { reservation } = check;

  let account: AccountRecord | null;
  let isValid: boolean;
  try {
    account = await context.accounts.findByName(credentials.account);
    isValid = await context.loginCompares.run(credentials.account, () =>
      context.passwords.verify(credentials.password, account?.passwordHash),
    );
  } catch (error) {
    await settle(context, reservation, 'abandoned', caller.requestId);
    throw error;
  }
  if (account) caller.onAccount({ accountId: account.certificate.id, hasPassedCredentials: isValid });
  if (isValid && account) return { kind: 'authenticated', account, settled: settle(context, reservation, 'succeeded', caller.requestId) };
  // A failure is counted before it is answered, so that the next guess already sees it.
  await settle(context, reservation, 'failed', caller.requestId);
  logger.warn({ event: 'login.failed', ...event }, 'failed login');
  return refuseOverall({ code: 'UNAUTHORIZED_ACCOUNT' });
}

async function settle(context: UseCaseContext, reservation: LoginReservation, outcome: LoginOutcome, requestId: string): Promise<void> {
  await context.throttle.settle(reservation, outcome).catch((error: unknown) => {
    context.logger.warn({ err: error, outcome, requestId }, 'could not settle a login for throttling');
  });
}

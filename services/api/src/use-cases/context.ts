import type { KeyedLimiter } from '#shared/concurrency/keyed-limiter';
import type { Config } from '#shared/config/env';
import type { Logger } from '#shared/log/logger';
import type { Metrics } from '#shared/metrics/registry';
import type { TokenCodec } from '#shared/security/binding-token';
import type { Leases } from '#shared/security/leases';
import type { Passwords } from '#shared/security/passwords';
import type { BindingStore } from '#shared/storage/binding-store';
import type { Accounts } from '#shared/storage/mysql/accounts';
import type { Bindings } from '#shared/storage/mysql/bindings';
import type { LastSeenWriter } from '#shared/storage/mysql/last-seen-writer';
import type { Throttle } from '#shared/storage/redis/throttle';
import type { AccountNames } from './account-names';

/** What the use cases need, and nothing of HTTP: they never see `req` or `res`. */
export interface UseCaseContext {
  config: Pick<Config, 'lastSeenPersistSeconds'>;
  logger: Logger;
  metrics: Metrics;
  accounts: Accounts;
  bindingStore: BindingStore;
  throttle: Throttle;
  passwords: Passwords;
  /** Password compares in flight per account name (LOGIN_COMPARES_PER_ACCOUNT). */
  loginCompares: KeyedLimiter;
  lastSeen: LastSeenWriter;
  tokens: TokenCodec;
  /** Signs (or hands out again) the lease of every success. */
  leases: Leases;
  /** The account name a verification's lease carries, known from the token's account id. */
  accountNames: AccountNames;
  /** Announces (webhook `registration.failed`) a registration refused after its credentials passed. */
  registrationFailures: Pick<Bindings, 'recordRegistrationFailure'>;
  now: () => Date;
}

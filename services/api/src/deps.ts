import { createKeyedLimiter } from '#shared/concurrency/keyed-limiter';
import type { Config } from '#shared/config/env';
import { sourceAddresses, type SourceAddresses } from '#shared/http/source-address';
import { createLogger, type Logger } from '#shared/log/logger';
import { createMetrics, type Metrics } from '#shared/metrics/registry';
import { createTokenCodec } from '#shared/security/binding-token';
import { createLeases, importLeaseKey, LEASE_KEYS_RELOAD_SECONDS, type Leases } from '#shared/security/leases';
import { createPasswords } from '#shared/security/passwords';
import { createBindingStore } from '#shared/storage/binding-store';
import { createAccounts } from '#shared/storage/mysql/accounts';
import { createAttemptWriter, type AttemptWriter } from '#shared/storage/mysql/attempt-writer';
import { createAttempts } from '#shared/storage/mysql/attempts';
import { createBindings } from '#shared/storage/mysql/bindings';
import { createLastSeenWriter } from '#shared/storage/mysql/last-seen-writer';
import { createLeaseKeys } from '#shared/storage/mysql/lease-keys';
import { createPool, type Pool } from '#shared/storage/mysql/pool';
import { createReadiness, type Readiness } from '#shared/process/readiness';
import { watchStores, type StoreHealth } from '#shared/storage/store-health';
import { loadOrCreateSecret } from '#shared/storage/mysql/settings';
import { connectRedis, redisTargetOf, type RedisClient } from '#shared/storage/redis/client';
import { createIdempotencyStore, type IdempotencyStore } from '#shared/storage/redis/idempotency';
import { createScripts } from '#shared/storage/redis/scripts';
import { createThrottle } from '#shared/storage/redis/throttle';
import { createAccountNames } from './use-cases/account-names';
import type { UseCaseContext } from './use-cases/context';

/** The one place that builds the API's pools, scripts and repositories. */
export interface ApiDeps {
  config: Readonly<Config>;
  logger: Logger;
  metrics: Metrics;
  redis: RedisClient;
  pool: Pool;
  context: UseCaseContext;
  /** Lease signing and the JWKS of GET /v1/keys. */
  leases: Leases;
  /** Registrations and unbindings record their answers here, off the request's path. */
  attempts: AttemptWriter;
  /** Idempotency-Key records of registrations and unbindings. */
  idempotency: IdempotencyStore;
  /** The caller's address under TRUST_PROXY: the throttling key, and what attempts record. */
  sourceAddresses: SourceAddresses;
  /** /readyz: draining from SIGTERM on. */
  readiness: Readiness;
  /** `regcloud_store_up`, pinged every STORE_PING_INTERVAL_MS. */
  storeHealth: StoreHealth;
  close(): Promise<void>;
}

export async function createApiDeps(config: Readonly<Config>, options: { now?: () => Date; logger?: Logger } = {}): Promise<ApiDeps> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'regcloud-api' });
  const metrics = createMetrics();
  // Nothing the API reads may lag (seat checks, the ledger, logins): MYSQL_REPLICA_URL is the staff service's alone.
  const pool = createPool({
    url: config.mysqlUrl,
    size: config.mysqlPoolSize,
    connectTimeoutMs: config.mysqlTimeouts.connectMs,
    queryTimeoutMs: config.mysqlTimeouts.queryMs,
  });
  const redis = await connectRedis({ target: redisTargetOf(config), commandTimeoutMs: config.redisCommandTimeoutMs, name: 'regcloud-api' });
  const bindings = createBindings(pool);
  const tokenSecret = config.tokenSecret ? Buffer.from(config.tokenSecret, 'utf8') : await loadOrCreateSecret(pool, 'token_secret');
  const lastSeen = createLastSeenWriter(bindings, {
    flushIntervalMs: 1000,
    maxPending: 50_000,
    onDropped: (count) => metrics.lastSeenDropped.inc(count),
  });
  const scripts = createScripts(redis);
  const now = options.now ?? (() => new Date());
  const attempts = createAttemptWriter(createAttempts(pool, { ...config.attempts, now }), {
    flushIntervalMs: 1000,
    // About 20 MB even when every node has the longest names the contract allows.
    maxPendingNodes: 20_000,
    keptPerAccount: config.attempts.keptPerAccount,
    onDropped: (count) => metrics.attemptsDropped.inc(count),
    onError: (error) => logger.warn({ err: error }, 'could not write or prune attempts'),
  });
  const leases = await createLeaseSigning(config, pool, now, logger);
  const accounts = createAccounts(pool);
  const storeHealth = watchStores({ stores: { redis, mysql: pool }, gauge: metrics.storeUp, intervalMs: config.storePingIntervalMs });
  const context: UseCaseContext = {
    config,
    logger,
    metrics,
    accounts,
    bindingStore: createBindingStore({ scripts, bindings, keyPrefix: config.redisKeyPrefix, metrics, logger, now: Date.now }),
    // Real time, whatever the use cases' clock: throttle windows are Redis TTLs.
    throttle: createThrottle({
      scripts,
      prefix: config.redisKeyPrefix,
      limits: config.throttle,
      now: Date.now,
      onFallback: (error, requestId) => {
        metrics.throttleFallback.inc();
        logger.warn({ err: error, requestId }, 'login throttling counts in this process: Redis is unavailable');
      },
    }),
    passwords: await createPasswords(config.bcryptCost),
    loginCompares: createKeyedLimiter(config.loginComparesPerAccount),
    lastSeen,
    tokens: createTokenCodec(tokenSecret),
    leases,
    accountNames: createAccountNames(accounts, { max: 100_000 }),
    registrationFailures: bindings,
    now,
  };
  return {
    config,
    logger,
    metrics,
    redis,
    pool,
    context,
    leases,
    attempts,
    idempotency: createIdempotencyStore(redis, config.redisKeyPrefix),
    sourceAddresses: sourceAddresses(config.trustProxy),
    readiness: createReadiness(),
    storeHealth,
    async close() {
      storeHealth.close();
      leases.close();
      await Promise.all([lastSeen.close(), attempts.close()]);
      redis.disconnect();
      await pool.end();
    },
  };
}

/**
 * LEASE_SIGNING_KEY, when given, is the one key (signing and published) and
 * never reloads; otherwise the keys are MySQL's, the first generated on first
 * start, read again every LEASE_KEYS_RELOAD_SECONDS.
 */
async function createLeaseSigning(config: Readonly<Config>, pool: Pool, now: () => Date, logger: Logger): Promise<Leases> {
  const { signingKeyPem, leaseSeconds } = config.leases;
  const common = {
    leaseSeconds,
    now,
    onReloadError: (error: unknown) => logger.warn({ err: error }, 'could not reload the lease keys'),
  };
  if (signingKeyPem !== undefined) {
    const key = await importLeaseKey(signingKeyPem);
    return createLeases({ ...common, load: () => Promise.resolve({ signing: key, published: [key] }), reloadIntervalMs: 0 });
  }
  const store = createLeaseKeys(pool, { now });
  return createLeases({ ...common, load: () => store.load(), reloadIntervalMs: LEASE_KEYS_RELOAD_SECONDS * 1000 });
}

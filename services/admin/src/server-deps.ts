import type { Config } from '#shared/config/env';
import { createLogger, type Logger } from '#shared/log/logger';
import { createMetrics, type Metrics } from '#shared/metrics/registry';
import { createPasswords, type Passwords } from '#shared/security/passwords';
import { createBindingStore } from '#shared/storage/binding-store';
import { createAccountDirectory, type AccountDirectory } from '#shared/storage/mysql/account-directory';
import { createAccounts, type Accounts } from '#shared/storage/mysql/accounts';
import { createAttempts, type Attempts } from '#shared/storage/mysql/attempts';
import { createAuditLog, type AuditLog } from '#shared/storage/mysql/audit';
import { createBindings, type Bindings } from '#shared/storage/mysql/bindings';
import type { Pool } from '#shared/storage/mysql/pool';
import { createMysqlPools } from '#shared/storage/mysql/replica';
import { createReadiness, type Readiness } from '#shared/process/readiness';
import { watchStores, type StoreHealth } from '#shared/storage/store-health';
import { createStaffDirectory, type StaffDirectory } from '#shared/storage/mysql/staff';
import { createWebhookEndpoints, type WebhookEndpoints } from '#shared/storage/mysql/webhook-endpoints';
import { checkWebhookTarget, type TargetProblem } from '#shared/webhooks/targets';
import { createAdminSessions, type AdminSessions } from '#shared/storage/redis/admin-sessions';
import { connectRedis, redisTargetOf, type RedisClient } from '#shared/storage/redis/client';
import { createScripts } from '#shared/storage/redis/scripts';
import { sourceAddresses, type SourceAddresses } from '#shared/http/source-address';
import { createThrottle, type Throttle } from '#shared/storage/redis/throttle';

/** The one place that builds the staff service's pools, clients and repositories. */
export interface AdminServiceDeps {
  config: Readonly<Config>;
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  redis: RedisClient;
  accounts: Accounts;
  bindings: Bindings;
  directory: AccountDirectory;
  auditLog: AuditLog;
  attempts: Attempts;
  staff: StaffDirectory;
  sessions: AdminSessions;
  /** Failed staff logins, the public API's lockout-safe limiter under its own keys. */
  throttle: Throttle;
  passwords: Passwords;
  webhookEndpoints: WebhookEndpoints;
  /** SSRF check of a new endpoint's URL (WEBHOOK_ALLOW_PRIVATE_TARGETS decides whether private addresses pass). */
  checkWebhookTarget(url: string): Promise<TargetProblem | null>;
  /** After a committed change: every API process reloads the account from MySQL on its next request. */
  invalidate(accountId: number, revision: number): Promise<void>;
  /** The caller's address under TRUST_PROXY, for throttling and the audit trail. */
  sourceAddresses: SourceAddresses;
  /** Unix milliseconds; sessions expire by it. */
  now: () => number;
  /** /admin/readyz: draining from SIGTERM on. */
  readiness: Readiness;
  /** `regcloud_store_up`, pinged every STORE_PING_INTERVAL_MS (the replica too when MYSQL_REPLICA_URL is set). */
  storeHealth: StoreHealth;
  close(): Promise<void>;
}

export async function createAdminServiceDeps(
  config: Readonly<Config>,
  options: { now?: () => number; logger?: Logger } = {},
): Promise<AdminServiceDeps> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'regcloud-admin' });
  const metrics = createMetrics();
  const pools = createMysqlPools(config);
  const pool = pools.primary;
  const redis = await connectRedis({
    target: redisTargetOf(config),
    commandTimeoutMs: config.redisCommandTimeoutMs,
    name: 'regcloud-admin',
  });
  const bindings = createBindings(pool);
  const scripts = createScripts(redis);
  const bindingStore = createBindingStore({ scripts, bindings, keyPrefix: config.redisKeyPrefix, metrics, logger, now: Date.now });
  const storeHealth = watchStores({
    stores: { redis, mysql: pool, ...(pools.replica ? { mysql_replica: pools.replica } : {}) },
    gauge: metrics.storeUp,
    intervalMs: config.storePingIntervalMs,
  });
  return {
    config,
    sourceAddresses: sourceAddresses(config.trustProxy),
    logger,
    metrics,
    pool,
    redis,
    accounts: createAccounts(pool),
    bindings,
    // Lists, searches, attempts and audit reads may lag: the replica's when there is one.
    directory: createAccountDirectory(pool, pools.laggingReads),
    auditLog: createAuditLog(pool, pools.laggingReads),
    attempts: createAttempts(pool, { ...config.attempts, now: () => new Date(options.now?.() ?? Date.now()) }, pools.laggingReads),
    staff: createStaffDirectory(pool),
    sessions: createAdminSessions(redis, config.redisKeyPrefix, { idleMs: config.admin.sessionIdleMs, maxMs: config.admin.sessionMaxMs }),
    throttle: createThrottle({
      scripts,
      prefix: `${config.redisKeyPrefix}admin:`,
      limits: config.admin.throttle,
      now: Date.now,
      onFallback: (error, requestId) => {
        metrics.throttleFallback.inc();
        logger.warn({ err: error, requestId }, 'staff login throttling counts in this process: Redis is unavailable');
      },
    }),
    passwords: await createPasswords(config.bcryptCost),
    webhookEndpoints: createWebhookEndpoints(pool),
    checkWebhookTarget: (url) => checkWebhookTarget(url, { isPrivateAllowed: config.webhooks.isPrivateAllowed }),
    invalidate: (accountId, revision) => bindingStore.invalidate(accountId, revision),
    now: options.now ?? Date.now,
    readiness: createReadiness(),
    storeHealth,
    async close() {
      storeHealth.close();
      redis.disconnect();
      await pools.end();
    },
  };
}

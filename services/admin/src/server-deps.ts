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
import { createPool, type Pool } from '#shared/storage/mysql/pool';
import { createStaffDirectory, type StaffDirectory } from '#shared/storage/mysql/staff';
import { createWebhookEndpoints, type WebhookEndpoints } from '#shared/storage/mysql/webhook-endpoints';
import { checkWebhookTarget, type TargetProblem } from '#shared/webhooks/targets';
import { createAdminSessions, type AdminSessions } from '#shared/storage/redis/admin-sessions';
import { connectRedis, type Redis } from '#shared/storage/redis/client';
import { createScripts } from '#shared/storage/redis/scripts';
import { createThrottle, type Throttle } from '#shared/storage/redis/throttle';

/** The one place that builds the staff service's pools, clients and repositories. */
export interface AdminServiceDeps {
  config: Readonly<Config>;
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  redis: Redis;
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
  /** Unix milliseconds; sessions expire by it. */
  now: () => number;
  close(): Promise<void>;
}

export async function createAdminServiceDeps(
  config: Readonly<Config>,
  options: { now?: () => number; logger?: Logger } = {},
): Promise<AdminServiceDeps> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'regcloud-admin' });
  const metrics = createMetrics();
  const pool = createPool({ url: config.mysqlUrl, size: config.mysqlPoolSize });
  const redis = await connectRedis({ url: config.redisUrl, commandTimeoutMs: config.redisCommandTimeoutMs, name: 'regcloud-admin' });
  const bindings = createBindings(pool);
  const scripts = createScripts(redis);
  const bindingStore = createBindingStore({ scripts, bindings, keyPrefix: config.redisKeyPrefix, metrics, logger, now: Date.now });
  return {
    config,
    logger,
    metrics,
    pool,
    redis,
    accounts: createAccounts(pool),
    bindings,
    directory: createAccountDirectory(pool),
    auditLog: createAuditLog(pool),
    attempts: createAttempts(pool, { ...config.attempts, now: () => new Date(options.now?.() ?? Date.now()) }),
    staff: createStaffDirectory(pool),
    sessions: createAdminSessions(redis, config.redisKeyPrefix, { idleMs: config.admin.sessionIdleMs, maxMs: config.admin.sessionMaxMs }),
    throttle: createThrottle({
      scripts,
      prefix: `${config.redisKeyPrefix}admin:`,
      limits: config.admin.throttle,
      now: Date.now,
      onFallback: (error) => {
        metrics.throttleFallback.inc();
        logger.warn({ err: error }, 'staff login throttling counts in this process: Redis is unavailable');
      },
    }),
    passwords: await createPasswords(config.bcryptCost),
    webhookEndpoints: createWebhookEndpoints(pool),
    checkWebhookTarget: (url) => checkWebhookTarget(url, { isPrivateAllowed: config.webhooks.isPrivateAllowed }),
    invalidate: (accountId, revision) => bindingStore.invalidate(accountId, revision),
    now: options.now ?? Date.now,
    async close() {
      redis.disconnect();
      await pool.end();
    },
  };
}

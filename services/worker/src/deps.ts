import type { Config } from '#shared/config/env';
import { createLogger, type Logger } from '#shared/log/logger';
import { createMetrics, type Metrics } from '#shared/metrics/registry';
import { createBindingStore } from '#shared/storage/binding-store';
import { createBindings } from '#shared/storage/mysql/bindings';
import { createLedgerSummaries } from '#shared/storage/mysql/ledger-summaries';
import { createPool, type Pool } from '#shared/storage/mysql/pool';
import { createWebhookDeliveries, type WebhookDeliveries } from '#shared/storage/mysql/webhook-deliveries';
import { createExpiryNotices, type ExpiryNotices } from '#shared/storage/mysql/webhook-expiry-notices';
import { connectQueueRedis, connectRedis, redisTargetOf, type RedisClient } from '#shared/storage/redis/client';
import { queuePrefix } from '#shared/storage/redis/keys';
import { createLoadedAccounts } from '#shared/storage/redis/loaded-accounts';
import { createScripts } from '#shared/storage/redis/scripts';
import type { ReconcileDeps } from './jobs/reconcile-accounts';
import type { SilentReleaseDeps } from './jobs/release-silent-bindings';
import { createSilentBindings } from '#shared/storage/mysql/silent-bindings';

/** The one place that builds the worker's pools, Redis clients, scripts and repositories. */
export interface WorkerDeps {
  config: Readonly<Config>;
  logger: Logger;
  metrics: Metrics;
  /** The jobs' own client: fails fast like the API's, so a job's doubt about Redis is an error, never a guess. */
  redis: RedisClient;
  /**
   * BullMQ's client. It waits for Redis instead of failing fast: BullMQ polls
   * with blocking commands and must ride out reconnects (it requires
   * `maxRetriesPerRequest: null`); queue bookkeeping is not the seat path.
   */
  queueConnection: RedisClient;
  /**
   * Every BullMQ key starts with this: the configured REDIS_KEY_PREFIX, so
   * deployments and test runs stay apart, then the `{bull}` hash tag BullMQ
   * needs on Redis Cluster (keys.ts, `queuePrefix`).
   */
  queuePrefix: string;
  pool: Pool;
  reconcile: ReconcileDeps;
  silentRelease: SilentReleaseDeps;
  webhookDeliveries: WebhookDeliveries;
  expiryNotices: ExpiryNotices;
  close(): Promise<void>;
}

export async function createWorkerDeps(config: Readonly<Config>, options: { logger?: Logger } = {}): Promise<WorkerDeps> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'regcloud-worker' });
  const metrics = createMetrics();
  // Jobs read one account at a time: a few connections are plenty.
  const pool = createPool({
    url: config.mysqlUrl,
    size: Math.min(config.mysqlPoolSize, 4),
    connectTimeoutMs: config.mysqlTimeouts.connectMs,
    queryTimeoutMs: config.mysqlTimeouts.queryMs,
  });
  const redis = await connectRedis({
    target: redisTargetOf(config),
    commandTimeoutMs: config.redisCommandTimeoutMs,
    name: 'regcloud-worker',
  });
  let queueConnection: RedisClient;
  try {
    queueConnection = await connectQueueRedis({
      target: redisTargetOf(config),
      commandTimeoutMs: config.redisCommandTimeoutMs,
      name: 'regcloud-worker-queue',
    });
  } catch (error) {
    redis.disconnect();
    await pool.end();
    throw error;
  }
  const bindings = createBindings(pool);
  const loaded = createLoadedAccounts(redis, config.redisKeyPrefix);
  const bindingStore = createBindingStore({
    scripts: createScripts(redis),
    bindings,
    keyPrefix: config.redisKeyPrefix,
    metrics,
    logger,
    now: Date.now,
  });
  const reconcile: ReconcileDeps = { loaded, ledger: createLedgerSummaries(pool), bindings, bindingStore, metrics, logger };
  const silentRelease: SilentReleaseDeps = { silent: createSilentBindings(pool), loaded, bindingStore, metrics, logger };
  return {
    config,
    logger,
    metrics,
    redis,
    queueConnection,
    queuePrefix: queuePrefix(config.redisKeyPrefix),
    pool,
    reconcile,
    silentRelease,
    webhookDeliveries: createWebhookDeliveries(pool),
    expiryNotices: createExpiryNotices(pool),
    async close() {
      queueConnection.disconnect();
      redis.disconnect();
      await pool.end();
    },
  };
}

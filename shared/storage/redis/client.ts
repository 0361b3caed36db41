import { Redis } from 'ioredis';
import { guardStore } from '../errors';

export type { Redis };

/**
 * A client that fails fast instead of queueing: while the server is away,
 * commands are rejected at once (enableOfflineQueue: false) and a command
 * with no answer gives up after `commandTimeoutMs`, so a dead Redis becomes a
 * REDIS_INSERT_FAILED answer, not a hung request. Auto-pipelining batches the
 * heartbeats of many concurrent requests into one write.
 */
export async function connectRedis(options: { url: string; commandTimeoutMs: number; name: string }): Promise<Redis> {
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectionName: options.name,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.commandTimeoutMs * 5,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Errors surface on the commands that fail; the client-level event only needs a listener.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    // Without this the client's reconnect loop would keep the process alive.
    redis.disconnect();
    throw error;
  }
  return redis;
}

/** Resolves when Redis answers a command (readiness); a StoreFailure('redis') otherwise. */
export async function pingRedis(redis: Redis): Promise<void> {
  await guardStore('redis', () => redis.ping());
}

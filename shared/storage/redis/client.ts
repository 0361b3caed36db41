import { list as REDIS_COMMANDS } from '@ioredis/commands';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { guardStore } from '../errors';

export type { Cluster, Redis };

/**
 * What every service talks to: one server (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES, which wins when both are set). Both share ioredis's
 * command interface; the few things that differ (walking the keyspace, which
 * has to visit every master) go through `mastersOf`.
 */
export type RedisClient = Redis | Cluster;

/** Where Redis is: the configuration's two settings, cluster first. */
export interface RedisTarget {
  url: string;
  clusterNodes: ReadonlyArray<{ host: string; port: number }>;
}

export function redisTargetOf(config: { redisUrl: string; redisClusterNodes: RedisTarget['clusterNodes'] }): RedisTarget {
  return { url: config.redisUrl, clusterNodes: config.redisClusterNodes };
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** A reconnect every 100 ms at first, then every 2 s at most. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 2000);

/**
 * Cluster-wide behaviour shared by the fail-fast client and BullMQ's:
 * MOVED and ASK are followed at once (ioredis does it, `maxRedirections` of
 * them per command); TRYAGAIN (a multi-key command during a slot migration),
 * CLUSTERDOWN (no master for a slot yet during a failover) and a connection
 * closed under a command (its master died) are retried after a short delay
 * with the slot map read again. Every retry spends one of the command's
 * redirections, and the command timeout keeps running across them, so a
 * failover that outlasts it ends in the contract's Redis cause, never in a
 * wrong answer.
 */
function clusterOptions(commandTimeoutMs: number): ClusterOptions {
  return {
    clusterRetryStrategy: reconnectDelay,
    maxRedirections: 16,
    retryDelayOnMoved: 0,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: Math.max(commandTimeoutMs, 1000),
    // The map is read again on every MOVED too; this only catches changes no command ran into.
    slotsRefreshInterval: 5000,
  };
}

function seedsOf(target: RedisTarget): Array<{ host: string; port: number }> {
  return target.clusterNodes.map(({ host, port }) => ({ host, port }));
}

/**
 * A client that fails fast instead of waiting: a command with no answer
 * gives up after `commandTimeoutMs`, so a dead Redis becomes a
 * REDIS_INSERT_FAILED answer, not a hung request. Auto-pipelining batches the
 * heartbeats of many concurrent requests into one write per server. On a
 * cluster, ioredis retries a redirected pipeline only when every command in
 * it got the same redirection and the rest were read-only, so an
 * auto-pipelined call whose slot was moving can come back as a bare MOVED,
 * ASK or TRYAGAIN error (the resharding test of redis-cluster.faults.test.ts
 * saw 7 of about 2,500 heartbeats fail over to the ledger that way). Such a
 * reply means the command did not run, so the Lua scripts, the whole hot
 * path, send it again alone (scripts.ts), where the cluster client follows
 * the redirection itself; every plain command is left out of the pipelines
 * on a cluster (`autoPipeliningIgnoredCommands`, which the resend's EVAL is
 * in too) and is redirected the same way. Measured at 1,000,000 bindings on
 * the local 3-master cluster: verify went from 70 % to 74–81 % of bare express.
 *
 * No offline queue, in either mode: while a server is away, commands are
 * rejected at once. On a cluster that was measured rather than assumed
 * (redis-cluster.faults.test.ts, a master killed under about 100
 * registrations a second, three runs each): with the queue off, 11 to 16 of
 * 800 to 1,200 registrations answered REDIS_INSERT_FAILED during the
 * failover; with it on, 8 or 9 (a command sent while the client opens its
 * connection to the promoted replica waits instead of failing). Both are the
 * contract's answer, never a wrong one, and commands right after `connect`
 * work either way (it resolves once the slot map is loaded). The queue's
 * cost decides it: a command queued while the cluster is not ready (every
 * node lost, the slot map being re-read) waits there without its command
 * timeout, which only starts once a node takes the command, so a request
 * could hang instead of failing fast.
 */
export async function connectRedis(options: { target: RedisTarget; commandTimeoutMs: number; name: string }): Promise<RedisClient> {
  const nodeOptions: RedisOptions = {
    connectionName: options.name,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.commandTimeoutMs * 5,
    maxRetriesPerRequest: 0,
  };
  const redis: RedisClient =
    options.target.clusterNodes.length > 0
      ? new Cluster(seedsOf(options.target), {
          ...clusterOptions(options.commandTimeoutMs),
          lazyConnect: true,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          autoPipeliningIgnoredCommands: [...REDIS_COMMANDS],
          redisOptions: nodeOptions,
        })
      : new Redis(options.target.url, {
          ...nodeOptions,
          lazyConnect: true,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          retryStrategy: reconnectDelay,
        });
  return opened(redis);
}

/** Connects a client made lazy; failures surface on the commands that fail, so the client-level events only need a listener. */
async function opened(redis: RedisClient): Promise<RedisClient> {
  redis.on('error', () => undefined);
  redis.on('node error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    // Without this the client's reconnect loop would keep the process alive.
    redis.disconnect();
    throw error;
  }
  return redis;
}

/**
 * BullMQ's client: it waits for Redis instead of failing fast, since BullMQ
 * polls with blocking commands and must ride out reconnects (it requires
 * `maxRetriesPerRequest: null`); queue bookkeeping is not the seat path.
 */
export async function connectQueueRedis(options: { target: RedisTarget; commandTimeoutMs: number; name: string }): Promise<RedisClient> {
  const nodeOptions: RedisOptions = {
    connectionName: options.name,
    maxRetriesPerRequest: null,
    connectTimeout: options.commandTimeoutMs * 5,
  };
  const redis: RedisClient =
    options.target.clusterNodes.length > 0
      ? new Cluster(seedsOf(options.target), { ...clusterOptions(options.commandTimeoutMs), lazyConnect: true, redisOptions: nodeOptions })
      : new Redis(options.target.url, { ...nodeOptions, lazyConnect: true, retryStrategy: reconnectDelay });
  // BullMQ reports connection trouble through its own 'error' events.
  return opened(redis);
}

/**
 * The servers that each hold a share of the keyspace: the client itself for
 * one server, every master of a cluster (ordered by address, so a walk that
 * stops and resumes visits them in the same order). A SCAN sees only the
 * server it runs on, so a walk over keys goes through each of these.
 */
export function mastersOf(client: RedisClient): Redis[] {
  if (!isCluster(client)) return [client];
  const address = (node: Redis) => `${node.options.host ?? ''}:${node.options.port ?? 0}`;
  return client.nodes('master').sort((a, b) => address(a).localeCompare(address(b)));
}

/**
 * Every key matching `pattern` on every master, a SCAN page at a time. Keys
 * of one page may sit in different slots of their master, so `onPage` must
 * not send them in one multi-key command.
 */
export async function scanEachMaster(
  client: RedisClient,
  options: { pattern: string; count: number },
  onPage: (node: Redis, keys: string[]) => Promise<void> | void,
): Promise<void> {
  for (const node of mastersOf(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', options.pattern, 'COUNT', options.count);
      if (keys.length > 0) await onPage(node, keys);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Removes keys of any slots from one server, one UNLINK per key (pipelined), so no command spans slots. */
export async function unlinkEach(node: Redis, keys: readonly string[]): Promise<number> {
  const pipeline = node.pipeline();
  for (const key of keys) pipeline.unlink(key);
  let removed = 0;
  for (const [error, count] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    removed += Number(count);
  }
  return removed;
}

/**
 * A command the cluster did not run: the server's answer that its slot
 * moved, is moving, or its keys are split by a move; or ioredis's own
 * refusal, before sending anything, of an auto-pipeline whose commands were
 * grouped by one master and that a slot map read again meanwhile (after a
 * MOVED) spreads over two (ioredis issue 1264; seen once in about 20 runs of
 * the resharding test).
 */
const NOT_RUN_HERE = /^(?:(?:MOVED|ASK|TRYAGAIN) |All keys in the pipeline should belong to the same slots allocation group$)/;

export function isNotRunHere(error: unknown): boolean {
  return error instanceof Error && NOT_RUN_HERE.test(error.message);
}

/** Resolves when Redis answers a command (readiness); a StoreFailure('redis') otherwise. */
export async function pingRedis(redis: RedisClient): Promise<void> {
  await guardStore('redis', () => redis.ping());
}

import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import mysql from 'mysql2/promise';
import { loadConfig, type Config } from '#shared/config/env';
import { migrate } from '#shared/storage/mysql/migrate';
import { connectRedis, scanEachMaster, unlinkEach } from '#shared/storage/redis/client';
import { startRedisCluster, type RedisCluster } from './redis-cluster';

/**
 * Each test run gets its own MySQL database and Redis key prefix on the
 * machine's shared servers, so concurrent runs never see each other's data.
 * Tests that fail a store for real use private servers instead (see
 * private-redis.ts, private-mariadb.ts, tcp-proxy.ts).
 *
 * With TEST_REDIS_MODE=cluster (the second pass of `npm test`,
 * .mocharc.cluster.json) the run starts its own Redis Cluster
 * (redis-cluster.ts) and every service under test, in this process or a
 * child, talks to it instead (REDIS_CLUSTER_NODES).
 */
const RUN_ID = `${process.pid}_${randomBytes(3).toString('hex')}`;

export const SHARED_MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
export const SHARED_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export const RUN_DATABASE = `regcloud_test_${RUN_ID}`;
export const RUN_KEY_PREFIX = `rct:${RUN_ID}:`;

export function databaseUrl(serverUrl: string, database: string): string {
  return new URL(database, serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`).toString();
}

export const RUN_MYSQL_URL = databaseUrl(SHARED_MYSQL, RUN_DATABASE);

export const IS_CLUSTER_RUN = process.env.TEST_REDIS_MODE === 'cluster';
let runCluster: RedisCluster | null = null;

/** The run's Redis as service configuration: the shared server, or the run's own cluster in a cluster pass. */
export function runRedisEnv(): { REDIS_URL: string; REDIS_CLUSTER_NODES: string } {
  if (IS_CLUSTER_RUN && runCluster === null) throw new Error('the cluster pass has not started its Redis Cluster (root hooks not loaded)');
  return { REDIS_URL: SHARED_REDIS, REDIS_CLUSTER_NODES: runCluster?.seeds ?? '' };
}

/** The service's configuration for tests: cheap bcrypt, quiet logs, this run's stores. */
export function testConfig(overrides: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    MYSQL_URL: RUN_MYSQL_URL,
    ...runRedisEnv(),
    REDIS_KEY_PREFIX: RUN_KEY_PREFIX,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    SEED_DEMO_ACCOUNT: 'false',
    REDIS_COMMAND_TIMEOUT_MS: '500',
    ...overrides,
  });
}

function isListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

const START_COMMANDS = {
  mysql: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  redis: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
};

export async function prepareRun(): Promise<void> {
  const missing: string[] = [];
  if (!(await isListening(SHARED_MYSQL)))
    missing.push(`MariaDB is not running on ${SHARED_MYSQL}: start it with \`${START_COMMANDS.mysql}\``);
  if (!(await isListening(SHARED_REDIS)))
    missing.push(`Redis is not running on ${SHARED_REDIS}: start it with \`${START_COMMANDS.redis}\``);
  if (missing.length > 0) throw new Error(missing.join('; '));
  if (IS_CLUSTER_RUN) runCluster = await startRedisCluster();
  await migrate(RUN_MYSQL_URL);
}

export async function cleanUpRun(): Promise<void> {
  const connection = await mysql.createConnection({ uri: SHARED_MYSQL });
  await connection.query(`DROP DATABASE IF EXISTS \`${RUN_DATABASE}\``).finally(() => connection.end());
  const redis = await connectRedis({
    target: { url: SHARED_REDIS, clusterNodes: testConfig().redisClusterNodes },
    commandTimeoutMs: 5000,
    name: 'regcloud-test-cleanup',
  });
  try {
    await scanEachMaster(redis, { pattern: `${RUN_KEY_PREFIX}*`, count: 1000 }, async (node, keys) => {
      await unlinkEach(node, keys);
    });
  } finally {
    redis.disconnect();
    await runCluster?.stop();
    runCluster = null;
  }
}

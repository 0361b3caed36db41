import path from 'node:path';
import { REPO_ROOT } from '#shared/paths';

/**
 * Where a run keeps its data and how long it measures. Load data lives in its
 * own database and under its own Redis key prefix, so it never mixes with the
 * tests' or the dev service's; the short bench has a namespace of its own so
 * that running it never disturbs a full run's million bindings.
 */
export interface Namespace {
  database: string;
  mysqlUrl: string;
  redisUrl: string;
  /** REDIS_CLUSTER_NODES of the API under test and the seeder (LOAD_REDIS_CLUSTER_NODES, else REDIS_CLUSTER_NODES); empty for one server. */
  redisClusterNodes: string;
  keyPrefix: string;
}

function namespace(database: string, keyPrefix: string): Namespace {
  const mysqlBase = process.env.LOAD_MYSQL_BASE_URL ?? 'mysql://root@127.0.0.1:3306';
  return {
    database,
    mysqlUrl: `${mysqlBase}/${database}`,
    redisUrl: process.env.LOAD_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    redisClusterNodes: process.env.LOAD_REDIS_CLUSTER_NODES ?? process.env.REDIS_CLUSTER_NODES ?? '',
    keyPrefix,
  };
}

export const FULL_NAMESPACE = namespace('regcloud_load', 'rcload:');
export const BENCH_NAMESPACE = namespace('regcloud_load_bench', 'rcloadbench:');

/** Fixed for every run, so the seeder derives exactly the tokens the API under test accepts. */
export const TOKEN_SECRET = process.env.LOAD_TOKEN_SECRET ?? 'regcloud-load-test-token-secret-do-not-use-in-production';

/** Every seeded account shares this password; its bcrypt hash is computed once per seeding. */
export const SEED_PASSWORD = 'load-test-password';
export const SEED_APP_VERSION = '11.0';
/** Room for the register scenario's new clusters on top of the seeded ones. */
export const SEED_MAX_REGISTRATIONS = 100_000;
/** Seeded accounts average this many bindings each (clusters of 1 to 19 nodes). */
export const BINDINGS_PER_ACCOUNT = 10;

export const RESULTS_DIR = path.join(REPO_ROOT, 'load-tests', 'results');
export const API_MAIN = path.join(REPO_ROOT, 'dist', 'services', 'api', 'src', 'main.js');
export const ADMIN_MAIN = path.join(REPO_ROOT, 'dist', 'services', 'admin', 'src', 'main.js');
export const WORKER_MAIN = path.join(REPO_ROOT, 'dist', 'services', 'worker', 'src', 'main.js');
export const COMPILED_DIR = path.join(REPO_ROOT, 'dist', 'load-tests', 'src');

/** How long each measurement lasts: the full run (RESULTS.md) and the short `npm run bench`. */
export interface Durations {
  name: 'full' | 'short';
  warmupSeconds: number;
  /**
   * The API's warm-up before register's pairs. At about 30 registrations a
   * second the API's main thread spends 40-50 % more a registration in its
   * first 15-20 s than afterwards (V8 still optimising, the heap still
   * growing): with a few seconds, the first pairs measured a process a
   * long-running API never is.
   */
  registerWarmupSeconds: number;
  runSeconds: number;
  /**
   * Each register pair's two runs. Registrations come at about 35 a second
   * and answer in about half a second, so a 3-second window holds about 100
   * answers with 16 in flight at its end: one answer more or less is a
   * point of the ratio, and 3-second benches read 82-89 % where 20-second
   * pairs of the same build read 85-91 % (4 and 6 December).
   */
  registerRunSeconds: number;
  pairs: number;
  smallBindings: number;
  largeBindings: number;
  stormAccounts: number;
  mixedSeconds: number;
  /** 0 skips the profiled runs. */
  profileSeconds: number;
  /** Longest wait for a quiet machine before each measurement (see measure/cpu.ts). */
  quietWaitSeconds: number;
}

export const FULL: Durations = {
  name: 'full',
  warmupSeconds: 5,
  registerWarmupSeconds: 20,
  runSeconds: 10,
  registerRunSeconds: 20,
  pairs: 3,
  smallBindings: 1_000,
  largeBindings: 1_000_000,
  stormAccounts: 2_000,
  mixedSeconds: 30,
  profileSeconds: 10,
  quietWaitSeconds: 30,
};

export const SHORT: Durations = {
  name: 'short',
  warmupSeconds: 1,
  registerWarmupSeconds: 20,
  runSeconds: 3,
  registerRunSeconds: 10,
  pairs: 3,
  smallBindings: 1_000,
  largeBindings: 100_000,
  stormAccounts: 200,
  mixedSeconds: 8,
  profileSeconds: 0,
  quietWaitSeconds: 5,
};

/**
 * Connection counts. Throughput runs use enough connections to keep the API
 * busy while it waits on Redis; register uses more than the 4 bcrypt threads
 * so they never idle while a request is in its MySQL or Redis stage; the storm
 * opens many at once, as a data centre coming back does.
 */
export const CONNECTIONS = {
  verify: 32,
  fixedRate: 10,
  register: 16,
  storm: 128,
} as const;

import bcrypt from 'bcrypt';
import { Cluster, Redis } from 'ioredis';
import { loadConfig } from '#shared/config/env';
import type { RedisClient } from '#shared/storage/redis/client';
import type { Connection } from 'mysql2/promise';
import { createNonce } from '#shared/security/binding-token';
import { migrate } from '#shared/storage/mysql/migrate';
import { encodeBindingRecord } from '#shared/storage/redis/binding-record';
import { accountKeys } from '#shared/storage/redis/keys';
import { SEED_PASSWORD, type Namespace } from '../settings';
import { accountsFor, clusterSize, seedNode } from './naming';
import { countBindings, insertAccounts, insertBindings, openBulkConnection, seededAccountCount, type SeededBinding } from './mysql-bulk';
import { memoryUsage, usedMemory, writeBindings, writeStates } from './redis-bulk';

/**
 * Bulk seeding, straight into both stores (not through the API): accounts
 * `load-1..load-A` with about 10 bindings each. Seeding only ever adds: it
 * tops the data set up to the asked size, so a run can measure at 1,000
 * bindings and then grow the same data set to 1,000,000.
 */
export interface SeedReport {
  accountsBefore: number;
  accountsAdded: number;
  bindingsAdded: number;
  /** All bindings in MySQL after seeding, including those the scenarios registered. */
  bindingsTotal: number;
  seconds: { hash: number; accounts: number; bindings: number; total: number };
  bindingsPerSecond: number | null;
  redisMemory: RedisMemoryReport | null;
}

/**
 * Method: INFO used_memory is read before the accounts' state hashes are
 * written, after them, and after the bindings hashes; the differences divided
 * by the bindings added give bytes per binding, with and without each
 * account's share of its state hash. MEMORY USAGE over a sample of the new
 * keys cross-checks it (it leaves out the keyspace's own table), and stands
 * in for it below USED_MEMORY_MIN_BINDINGS.
 */
export interface RedisMemoryReport {
  usedMemoryBefore: number;
  usedMemoryAfterStates: number;
  usedMemoryAfterBindings: number;
  bytesPerBinding: number;
  bytesPerBindingWithAccountState: number;
  memoryUsageSample: { accounts: number; bindings: number; bytesPerBinding: number; bytesPerBindingWithAccountState: number };
  machineCodeLength: number;
  recordLength: number;
}

const ACCOUNTS_PER_INSERT = 5_000;
/** About 5,000 bindings per INSERT and per pipeline: large enough to amortise round trips, small enough for max_allowed_packet. */
const ACCOUNTS_PER_BINDING_BATCH = 500;
const LANES = 2;
const MEMORY_SAMPLE_ACCOUNTS = 1_000;
/**
 * Under this many new bindings, INFO used_memory moves more with the
 * server's own allocations (what a reset just freed, client buffers) than
 * with the bindings: the bench's 1,000 read -17,986 bytes each.
 */
const USED_MEMORY_MIN_BINDINGS = 50_000;

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The seeder's client: one server, or the cluster the API under test uses (seeds parsed as the service parses them). */
export async function openSeedRedis(ns: Namespace): Promise<RedisClient> {
  const options = { maxRetriesPerRequest: 1, connectionName: 'regcloud-load-seeder', lazyConnect: true };
  const nodes = loadConfig({ REDIS_CLUSTER_NODES: ns.redisClusterNodes }).redisClusterNodes;
  const redis: RedisClient =
    nodes.length === 0
      ? new Redis(ns.redisUrl, options)
      : // Auto-pipelining batches the seeding commands per master (redis-bulk.ts sends them one by one on a cluster).
        new Cluster(
          nodes.map(({ host, port }) => ({ host, port })),
          {
            enableAutoPipelining: true,
            lazyConnect: true,
            redisOptions: { maxRetriesPerRequest: 1, connectionName: options.connectionName },
          },
        );
  // Connected before use: a cluster knows its masters (walks, INFO per master) only once its slot map is loaded.
  await redis.connect();
  return redis;
}

function batchBindings(from: number, to: number): SeededBinding[] {
  const bindings: SeededBinding[] = [];
  for (let n = from; n <= to; n++) {
    for (let node = 0; node < clusterSize(n); node++) bindings.push({ accountId: n, node: seedNode(n, node), nonce: createNonce() });
  }
  return bindings;
}

async function sampleMemoryUsage(redis: RedisClient, prefix: string, from: number, to: number) {
  const count = Math.min(MEMORY_SAMPLE_ACCOUNTS, to - from + 1);
  let bindings = 0;
  let bindingBytes = 0;
  let stateBytes = 0;
  for (let i = 0; i < count; i++) {
    const n = from + Math.floor(((to - from + 1) * i) / count);
    const keys = accountKeys(prefix, n);
    // SAMPLES 0: walk every field, exact for these keys.
    bindingBytes += await memoryUsage(redis, keys.bindings);
    stateBytes += await memoryUsage(redis, keys.state);
    bindings += clusterSize(n);
  }
  return {
    accounts: count,
    bindings,
    bytesPerBinding: bindingBytes / bindings,
    bytesPerBindingWithAccountState: (bindingBytes + stateBytes) / bindings,
  };
}

async function inLanes(
  connections: readonly Connection[],
  batches: number,
  work: (connection: Connection, batch: number) => Promise<void>,
): Promise<void> {
  await Promise.all(
    connections.map(async (connection, lane) => {
      for (let batch = lane; batch < batches; batch += connections.length) await work(connection, batch);
    }),
  );
}

export async function seed(
  ns: Namespace,
  targetBindings: number,
  options: { bcryptCost: number; log: (line: string) => void },
): Promise<SeedReport> {
  await migrate(ns.mysqlUrl);
  const connections = await Promise.all(Array.from({ length: LANES }, () => openBulkConnection(ns.mysqlUrl)));
  const redis = await openSeedRedis(ns);
  try {
    const [main] = connections as [Connection];
    const before = await seededAccountCount(main);
    const target = accountsFor(targetBindings);
    if (target <= before) {
      return {
        accountsBefore: before,
        accountsAdded: 0,
        bindingsAdded: 0,
        bindingsTotal: await countBindings(main),
        seconds: { hash: 0, accounts: 0, bindings: 0, total: 0 },
        bindingsPerSecond: null,
        redisMemory: null,
      };
    }
    const from = before + 1;
    options.log(`seeding accounts ${from}..${target} of ${ns.database} / ${ns.keyPrefix}`);
    const started = performance.now();
    // One hash for every seeded account: hashing 100,000 passwords would take longer than the rest of seeding.
    const passwordHash = await bcrypt.hash(SEED_PASSWORD, options.bcryptCost);
    const hashed = performance.now();
    const expires = new Date();
    expires.setUTCFullYear(expires.getUTCFullYear() + 2);
    const expiresAt = isoDate(expires);
    const lastSeenSeconds = Math.floor(Date.now() / 1000);

    const memoryBefore = await usedMemory(redis);
    const accountBatches = Math.ceil((target - from + 1) / ACCOUNTS_PER_INSERT);
    await inLanes(connections, accountBatches, async (connection, batch) => {
      const first = from + batch * ACCOUNTS_PER_INSERT;
      const last = Math.min(target, first + ACCOUNTS_PER_INSERT - 1);
      await Promise.all([
        insertAccounts(connection, first, last, { passwordHash, expiresAt }),
        writeStates(redis, ns.keyPrefix, first, last, expiresAt),
      ]);
    });
    const memoryAfterStates = await usedMemory(redis);
    const accountsDone = performance.now();

    let bindingsAdded = 0;
    const bindingBatches = Math.ceil((target - from + 1) / ACCOUNTS_PER_BINDING_BATCH);
    await inLanes(connections, bindingBatches, async (connection, batch) => {
      const first = from + batch * ACCOUNTS_PER_BINDING_BATCH;
      const last = Math.min(target, first + ACCOUNTS_PER_BINDING_BATCH - 1);
      const bindings = batchBindings(first, last);
      await Promise.all([
        insertBindings(connection, bindings, lastSeenSeconds),
        writeBindings(redis, ns.keyPrefix, bindings, lastSeenSeconds),
      ]);
      bindingsAdded += bindings.length;
      if (batch % 40 === 0 && batch > 0) options.log(`  ${bindingsAdded.toLocaleString('en-US')} bindings`);
    });
    const memoryAfterBindings = await usedMemory(redis);
    const done = performance.now();

    const sample = await sampleMemoryUsage(redis, ns.keyPrefix, from, target);
    const isUsedMemoryReadable = bindingsAdded >= USED_MEMORY_MIN_BINDINGS;
    const bindingsSeconds = (done - accountsDone) / 1000;
    return {
      accountsBefore: before,
      accountsAdded: target - before,
      bindingsAdded,
      bindingsTotal: await countBindings(main),
      seconds: {
        hash: (hashed - started) / 1000,
        accounts: (accountsDone - hashed) / 1000,
        bindings: bindingsSeconds,
        total: (done - started) / 1000,
      },
      bindingsPerSecond: bindingsAdded / bindingsSeconds,
      redisMemory: {
        usedMemoryBefore: memoryBefore,
        usedMemoryAfterStates: memoryAfterStates,
        usedMemoryAfterBindings: memoryAfterBindings,
        bytesPerBinding: isUsedMemoryReadable ? (memoryAfterBindings - memoryAfterStates) / bindingsAdded : sample.bytesPerBinding,
        bytesPerBindingWithAccountState: isUsedMemoryReadable
          ? (memoryAfterBindings - memoryBefore) / bindingsAdded
          : sample.bytesPerBindingWithAccountState,
        memoryUsageSample: sample,
        machineCodeLength: seedNode(1, 0).machineCode.length,
        recordLength: encodeBindingRecord({ nonce: createNonce(), seconds: lastSeenSeconds }).length,
      },
    };
  } finally {
    redis.disconnect();
    await Promise.all(connections.map((connection) => connection.end()));
  }
}

import { isCluster, mastersOf, type RedisClient } from '#shared/storage/redis/client';
import { encodeBindingRecord } from '#shared/storage/redis/binding-record';
import { accountKeys } from '#shared/storage/redis/keys';
import type { SeededBinding } from './mysql-bulk';

/**
 * The Redis half of seeding: pipelined HSETs into exactly the keys and
 * record format the service's Lua scripts read (keys.ts; binding-record.ts):
 * `state` {status, expiresAt, revision} marks the account as loaded, and
 * `bindings` maps machine code to the binding record of its nonce and
 * last-seen seconds. One pipeline per batch keeps round trips out of the
 * seeding time. On a Redis Cluster a batch's keys span every slot, and an
 * explicit pipeline must stay in one, so there the commands go one by one
 * and the client's auto-pipelining batches them per master.
 */
export async function writeStates(redis: RedisClient, prefix: string, from: number, to: number, expiresAt: string): Promise<void> {
  const writes: HashWrite[] = [];
  for (let n = from; n <= to; n++) {
    // revision 1: the accounts table's default, so a later refill is never STALE against it.
    writes.push({ key: accountKeys(prefix, n).state, fields: ['status', 'active', 'expiresAt', expiresAt, 'revision', '1'] });
  }
  await writeBatch(redis, writes);
}

export async function writeBindings(
  redis: RedisClient,
  prefix: string,
  bindings: readonly SeededBinding[],
  lastSeenSeconds: number,
): Promise<void> {
  const byAccount = new Map<number, string[]>();
  for (const { accountId, node, nonce } of bindings) {
    const fields = byAccount.get(accountId) ?? [];
    fields.push(node.machineCode, encodeBindingRecord({ nonce, seconds: lastSeenSeconds }));
    byAccount.set(accountId, fields);
  }
  await writeBatch(
    redis,
    [...byAccount].map(([accountId, fields]) => ({ key: accountKeys(prefix, accountId).bindings, fields })),
  );
}

interface HashWrite {
  key: string;
  fields: string[];
}

/** One pipeline on one server; on a cluster every HSET on its own, auto-pipelined per master. */
async function writeBatch(redis: RedisClient, writes: readonly HashWrite[]): Promise<void> {
  if (isCluster(redis)) {
    await Promise.all(writes.map(({ key, fields }) => redis.hset(key, ...fields)));
    return;
  }
  const pipeline = redis.pipeline();
  for (const { key, fields } of writes) pipeline.hset(key, ...fields);
  await execOrThrow(pipeline.exec());
}

/** A pipeline reports each command's error in its reply list instead of rejecting: surface the first. */
async function execOrThrow(replies: Promise<Array<[Error | null, unknown]> | null>): Promise<void> {
  for (const [error] of (await replies) ?? []) if (error) throw error;
}

/** used_memory from INFO memory: what the allocator holds for data and overhead, in bytes (summed over a cluster's masters). */
export async function usedMemory(redis: RedisClient): Promise<number> {
  let total = 0;
  for (const node of mastersOf(redis)) {
    const info = await node.info('memory');
    const match = /^used_memory:(\d+)/m.exec(info);
    if (!match) throw new Error('INFO memory has no used_memory');
    total += Number(match[1]);
  }
  return total;
}

/** MEMORY USAGE of one key (every field walked). A cluster's client cannot route MEMORY, so the master that does not answer MOVED holds it. */
export async function memoryUsage(redis: RedisClient, key: string): Promise<number> {
  let lastError: unknown = null;
  for (const node of mastersOf(redis)) {
    try {
      return Number(await node.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('MOVED')) throw error;
      lastError = error;
    }
  }
  throw new Error(`no master holds ${key}`, { cause: lastError });
}

import type { Redis } from 'ioredis';
import { encodeBindingRecord } from '#shared/storage/redis/binding-record';
import { accountKeys } from '#shared/storage/redis/keys';
import type { SeededBinding } from './mysql-bulk';

/**
 * The Redis half of seeding: pipelined HSETs into exactly the keys and
 * record format the service's Lua scripts read (keys.ts; binding-record.ts):
 * `state` {status, expiresAt, revision} marks the account as loaded, and
 * `bindings` maps machine code to the binding record of its nonce and
 * last-seen seconds. One pipeline per batch keeps round trips out of the
 * seeding time.
 */
export async function writeStates(redis: Redis, prefix: string, from: number, to: number, expiresAt: string): Promise<void> {
  const pipeline = redis.pipeline();
  for (let n = from; n <= to; n++) {
    // revision 1: the accounts table's default, so a later refill is never STALE against it.
    pipeline.hset(accountKeys(prefix, n).state, 'status', 'active', 'expiresAt', expiresAt, 'revision', '1');
  }
  await execOrThrow(pipeline.exec());
}

export async function writeBindings(
  redis: Redis,
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
  const pipeline = redis.pipeline();
  for (const [accountId, fields] of byAccount) pipeline.hset(accountKeys(prefix, accountId).bindings, ...fields);
  await execOrThrow(pipeline.exec());
}

/** A pipeline reports each command's error in its reply list instead of rejecting: surface the first. */
async function execOrThrow(replies: Promise<Array<[Error | null, unknown]> | null>): Promise<void> {
  for (const [error] of (await replies) ?? []) if (error) throw error;
}

/** used_memory from INFO memory: what the allocator holds for data and overhead, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

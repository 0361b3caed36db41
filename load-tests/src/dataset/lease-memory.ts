import { accountKeys } from '#shared/storage/redis/keys';
import type { Namespace } from '../settings';
import { memoryUsage } from './redis-bulk';
import { openSeedRedis } from './seed';

/** Accounts measured; MEMORY USAGE walks every field, so a few hundred keep it to a second or two. */
const SAMPLE_ACCOUNTS = 500;

export interface KeptLeaseMemory {
  accounts: number;
  bindings: number;
  /** Redis bytes per binding of accounts whose every binding has its lease kept: the steady state of a fleet that heartbeats. */
  bytesPerBinding: number;
}

/**
 * What a binding costs in Redis once its lease is kept (the `lease:` field
 * of its account's state hash, which the seeding does not write): MEMORY
 * USAGE of the state and bindings hashes of accounts whose every binding has
 * heartbeated, after the verify scenario's lease warm-up.
 */
export async function keptLeaseMemory(ns: Namespace, accountIds: readonly number[]): Promise<KeptLeaseMemory> {
  const redis = await openSeedRedis(ns);
  try {
    let bindings = 0;
    let bytes = 0;
    const sample = [...new Set(accountIds)].slice(0, SAMPLE_ACCOUNTS);
    for (const accountId of sample) {
      const keys = accountKeys(ns.keyPrefix, accountId);
      bindings += await redis.hlen(keys.bindings);
      bytes += (await memoryUsage(redis, keys.bindings)) + (await memoryUsage(redis, keys.state));
    }
    return { accounts: sample.length, bindings, bytesPerBinding: bytes / Math.max(bindings, 1) };
  } finally {
    redis.disconnect();
  }
}

import type { AttemptRecord } from '#shared/domain/attempt';
import type { Attempts } from './attempts';

/**
 * Registrations and unbindings hand their attempt here and answer at once;
 * MySQL gets the attempts once a second in one transaction, then retention
 * is applied to the accounts of the batch. One write at a time: what arrives
 * meanwhile waits in the buffer, which is bounded by the nodes it holds, so
 * under a slow or absent MySQL attempts are dropped (and counted), never
 * requests slowed. Losing the buffer on a crash loses support records only.
 *
 * In the buffer, too, each account's failed-credential and passed-credential
 * attempts are held apart, at most the kept count of each: an older one past
 * it would be pruned right after its insert, and a flood of wrong passwords
 * cannot take the room of the answers support needs.
 */
export interface AttemptWriter {
  record(attempt: AttemptRecord): void;
  /** Writes what is pending once the write in progress is done. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  sequence: number;
  attempt: AttemptRecord;
  size: number;
}

export function createAttemptWriter(
  attempts: Pick<Attempts, 'insert' | 'prune'>,
  options: {
    flushIntervalMs: number;
    /** The memory bound: nodes held, an attempt without nodes counting one. */
    maxPendingNodes: number;
    keptPerAccount: number;
    onDropped: (count: number) => void;
    /** A write or a pruning that failed, for the log. */
    onError: (error: unknown) => void;
  },
): AttemptWriter {
  let sets = new Map<string, Pending[]>();
  let pendingNodes = 0;
  let sequence = 0;
  let writing: Promise<void> = Promise.resolve();
  let isWriting = false;

  /** Everything pending, in the order it was answered. */
  function takeBatch(): AttemptRecord[] {
    const batch = [...sets.values()].flat().sort((a, b) => a.sequence - b.sequence);
    sets = new Map();
    pendingNodes = 0;
    return batch.map((entry) => entry.attempt);
  }

  async function writeOut(): Promise<void> {
    const batch = takeBatch();
    if (batch.length === 0) return;
    try {
      await attempts.insert(batch);
    } catch (error) {
      options.onDropped(batch.length);
      options.onError(error);
      return;
    }
    await attempts.prune(batch).catch(options.onError);
  }

  function flush(): Promise<void> {
    writing = writing.then(async () => {
      isWriting = true;
      try {
        await writeOut();
      } finally {
        isWriting = false;
      }
    });
    return writing;
  }

  // A tick during a write adds nothing: attempts wait in the bounded buffer, not in a queue of batches.
  const timer = setInterval(() => {
    if (!isWriting) void flush();
  }, options.flushIntervalMs);
  timer.unref();

  return {
    record(attempt) {
      const key = `${attempt.accountId}:${attempt.hasPassedCredentials}`;
      const set = sets.get(key) ?? [];
      const size = Math.max(1, attempt.nodes.length);
      const evicted = set.length >= options.keptPerAccount ? set[0] : undefined;
      if (pendingNodes - (evicted?.size ?? 0) + size > options.maxPendingNodes) {
        options.onDropped(1);
        return;
      }
      if (evicted) {
        set.shift();
        pendingNodes -= evicted.size;
      }
      set.push({ sequence: sequence++, attempt, size });
      pendingNodes += size;
      sets.set(key, set);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

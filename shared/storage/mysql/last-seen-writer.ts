import type { Bindings } from './bindings';

/**
 * Heartbeats record last-seen in Redis on every call; MySQL gets it at most
 * once per LAST_SEEN_PERSIST_SECONDS per binding, batched here and written
 * once a second in one statement. The buffer is bounded: under a MySQL outage
 * last-seen updates are dropped (and counted), never heartbeats slowed.
 * Losing the buffer on a crash loses only telemetry, not a binding.
 */
export interface LastSeenWriter {
  record(accountId: number, machineCode: string, seenAtSeconds: number): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createLastSeenWriter(
  bindings: Pick<Bindings, 'recordLastSeen'>,
  options: { flushIntervalMs: number; maxPending: number; onDropped: (count: number) => void },
): LastSeenWriter {
  let pending = new Map<string, { accountId: number; machineCode: string; seenAtSeconds: number }>();
  let flushing: Promise<void> = Promise.resolve();

  async function writeOut(batch: typeof pending): Promise<void> {
    if (batch.size === 0) return;
    await bindings.recordLastSeen([...batch.values()]).catch(() => options.onDropped(batch.size));
  }

  function flush(): Promise<void> {
    const batch = pending;
    pending = new Map();
    flushing = flushing.then(() => writeOut(batch));
    return flushing;
  }

  const timer = setInterval(() => void flush(), options.flushIntervalMs);
  timer.unref();

  return {
    record(accountId, machineCode, seenAtSeconds) {
      if (pending.size >= options.maxPending) {
        options.onDropped(1);
        return;
      }
      pending.set(`${accountId}\n${machineCode}`, { accountId, machineCode, seenAtSeconds });
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/**
 * A store that did not do what was asked: unreachable, timed out, or answered
 * something no script of ours returns. Use cases turn it into the contract's
 * REDIS_INSERT_FAILED / MYSQL_UPDATE_FAILED for the nodes involved.
 */
export class StoreFailure extends Error {
  constructor(
    readonly store: 'redis' | 'mysql',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${store}: ${message}`, options);
    this.name = 'StoreFailure';
  }
}

/**
 * A reply shown in a failure message, at most 200 characters. JSON.stringify
 * answers undefined (not a string, whatever its declared type says) for undefined.
 */
export function describeReply(reply: unknown): string {
  return reply === undefined ? 'undefined' : JSON.stringify(reply).slice(0, 200);
}

/** A plain `.catch`, not an async wrapper: it sits on the heartbeat path, where every promise counts. */
export function guardStore<T>(store: 'redis' | 'mysql', work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof StoreFailure) throw error;
    throw new StoreFailure(store, error instanceof Error ? error.message : String(error), { cause: error });
  });
}

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

export async function guardStore<T>(store: 'redis' | 'mysql', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreFailure) throw error;
    throw new StoreFailure(store, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

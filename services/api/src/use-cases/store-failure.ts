import type { NodeCode } from '#shared/domain/causes';
import { refuseNodes, type Refused } from '#shared/domain/outcome';
import { StoreFailure } from '#shared/storage/errors';

const STORE_CAUSE: Record<StoreFailure['store'], NodeCode> = {
  redis: 'REDIS_INSERT_FAILED',
  mysql: 'MYSQL_UPDATE_FAILED',
};

/** Display rule 4: every node of the request whose write failed carries the store's cause. */
function storeFailed(store: StoreFailure['store'], nodes: ReadonlyArray<{ nodeId: string; machineCode: string }>): Refused {
  return refuseNodes(nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode, causes: [STORE_CAUSE[store]] })));
}

/** A store that failed anywhere in a request answers with its cause; anything else is a fault. */
export async function answeringStoreFailures<T>(
  nodes: ReadonlyArray<{ nodeId: string; machineCode: string }>,
  work: () => Promise<T>,
): Promise<T | Refused> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreFailure) return storeFailed(error.store, nodes);
    throw error;
  }
}

import type { Config } from '#shared/config/env';
import { createPool, type Pool } from './pool';

/**
 * The service's MySQL pools. `primary` (MYSQL_URL) takes every write and
 * every read something is decided with: seat checks, the ledger, the
 * registration path, reads before a write. `laggingReads` is for reads whose
 * answer may be a little old without harm — the staff's account lists and
 * searches, attempts and audit reads — and is a replica when
 * MYSQL_REPLICA_URL is set (same size and timeouts), else the primary itself.
 */
export interface MysqlPools {
  primary: Pool;
  laggingReads: Pool;
  /** The replica's own pool when there is one (its health is watched apart). */
  replica: Pool | undefined;
  end(): Promise<void>;
}

export function createMysqlPools(config: Readonly<Config>, options: { size?: number } = {}): MysqlPools {
  const settings = {
    size: options.size ?? config.mysqlPoolSize,
    connectTimeoutMs: config.mysqlTimeouts.connectMs,
    queryTimeoutMs: config.mysqlTimeouts.queryMs,
  };
  const primary = createPool({ url: config.mysqlUrl, ...settings });
  const replica = config.mysqlReplicaUrl === undefined ? undefined : createPool({ url: config.mysqlReplicaUrl, ...settings });
  return {
    primary,
    laggingReads: replica ?? primary,
    replica,
    async end() {
      await Promise.all([primary.end(), replica?.end()]);
    },
  };
}

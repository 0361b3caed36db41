/**
 * An account's state and bindings as of one instant: what the ledger reads
 * (shared/storage/mysql/bindings.ts) and a Redis refill writes
 * (load-account.lua), so neither store owns the shape.
 */
export interface AccountSnapshot {
  revision: number;
  status: string;
  expiresAt: string;
  /** How stale a recorded last-seen may get (silent-release.ts); 0: the service's default. */
  lastSeenEverySeconds: number;
  /** `lastSeen` in Unix seconds, 0 when never seen. */
  bindings: ReadonlyArray<{ machineCode: string; nonce: string; lastSeen: number }>;
}

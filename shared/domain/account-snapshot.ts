/**
 * An account's state and bindings as of one instant: what the ledger reads
 * (shared/storage/mysql/bindings.ts) and a Redis refill writes
 * (load-account.lua), so neither store owns the shape.
 */
export interface AccountSnapshot {
  revision: number;
  status: string;
  expiresAt: string;
  /** `lastSeen` in Unix seconds, 0 when never seen. */
  bindings: ReadonlyArray<{ machineCode: string; nonce: string; lastSeen: number }>;
}

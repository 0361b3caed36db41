-- One row per machine unbound by the account's own nodes, for the unbinding
-- quota (contract "Unbinding quota"): kept in the ledger so that losing Redis
-- never resets the count. Written and counted in the unbinding's transaction
-- under the account's row lock; rows older than the 24-hour window are pruned
-- there too. Staff releases write none.
-- No foreign key to accounts: its check would take a shared lock on the
-- account row, which unbindings lock for update.
CREATE TABLE unbind_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT UNSIGNED NOT NULL,
  unbound_at DATETIME(3) NOT NULL,
  KEY ix_unbind_events_account_at (account_id, unbound_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- What the public API answered each registration and unbinding of a known
-- account, for support (shared/storage/mysql/attempts.ts): the answer's codes
-- and node names as JSON, never a password or token. `credentials_passed`
-- splits an account's attempts into the two sets retention keeps apart.
-- No foreign key to accounts: its check would take a shared lock on the
-- account row, which registrations lock for update.
CREATE TABLE attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT UNSIGNED NOT NULL,
  credentials_passed TINYINT(1) NOT NULL,
  at DATETIME(3) NOT NULL,
  kind ENUM('registration', 'unbinding') NOT NULL,
  result ENUM('success', 'failure') NOT NULL,
  status SMALLINT UNSIGNED NOT NULL,
  overall TEXT NOT NULL,
  nodes MEDIUMTEXT NOT NULL,
  source_address VARCHAR(255) NOT NULL,
  request_id VARCHAR(64) CHARACTER SET ascii NOT NULL,
  -- One account newest first from a cursor (an id), and the newest of each
  -- set when pruning, read from the index alone.
  KEY ix_attempts_account_id (account_id, id, credentials_passed),
  -- Pruning by age.
  KEY ix_attempts_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

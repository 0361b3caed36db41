-- Every staff change, who made it and what it changed (never a password).
CREATE TABLE audit_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  actor VARCHAR(128) NOT NULL,
  action VARCHAR(64) CHARACTER SET ascii NOT NULL,
  account_id BIGINT UNSIGNED NULL,
  details TEXT NOT NULL,
  KEY ix_audit_account_at (account_id, at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

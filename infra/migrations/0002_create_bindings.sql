-- The ledger of seats: a machine is bound to an account exactly when its row
-- is here. `nonce` is the binding's random id from which its token is derived
-- (the token itself is never stored).
CREATE TABLE bindings (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT UNSIGNED NOT NULL,
  machine_code VARCHAR(255) NOT NULL,
  nonce CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  node_id VARCHAR(128) NOT NULL,
  ip VARCHAR(45) CHARACTER SET ascii NOT NULL,
  domain VARCHAR(253) CHARACTER SET ascii NULL,
  app_name VARCHAR(128) NOT NULL,
  mac VARCHAR(17) CHARACTER SET ascii NULL,
  app_version VARCHAR(32) NOT NULL,
  bound_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  registered_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_seen_at DATETIME(3) NULL,
  UNIQUE KEY uq_bindings_account_machine (account_id, machine_code),
  CONSTRAINT fk_bindings_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

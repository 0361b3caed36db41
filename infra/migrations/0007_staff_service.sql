-- The staff service (services/admin): staff identities and their API tokens,
-- the account fields staff edit with If-Match, and audit entries that say
-- what changed, from where.
CREATE TABLE staff (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  role ENUM('viewer', 'operator', 'admin') NOT NULL,
  password_hash CHAR(60) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_login_at DATETIME(3) NULL,
  UNIQUE KEY uq_staff_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A token is stored only as the SHA-256 of its secret; it acts with the lower
-- of its own role and its creator's current one.
CREATE TABLE api_tokens (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  role ENUM('viewer', 'operator', 'admin') NOT NULL,
  created_by BIGINT UNSIGNED NOT NULL,
  secret_hash BINARY(32) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_used_at DATETIME(3) NULL,
  revoked_at DATETIME(3) NULL,
  UNIQUE KEY uq_api_tokens_secret (secret_hash),
  KEY ix_api_tokens_creator (created_by),
  CONSTRAINT fk_api_tokens_creator FOREIGN KEY (created_by) REFERENCES staff (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- `edit_revision` is the account's ETag: it changes with the account's own
-- fields only, never with bindings (which bump `revision`, Redis's fence), so
-- a busy account can still be edited.
ALTER TABLE accounts
  ADD COLUMN edit_revision BIGINT UNSIGNED NOT NULL DEFAULT 1,
  ADD COLUMN max_unbinds_per_day INT UNSIGNED NULL,
  ADD COLUMN release_after_silent_seconds INT UNSIGNED NULL,
  ADD KEY ix_accounts_status_id (status, id),
  ADD KEY ix_accounts_expires_id (expires_at, id);

ALTER TABLE audit_log
  ADD COLUMN before_json TEXT NULL,
  ADD COLUMN after_json TEXT NULL,
  ADD COLUMN source_address VARCHAR(45) CHARACTER SET ascii NULL,
  ADD COLUMN request_id VARCHAR(64) CHARACTER SET ascii NULL,
  ADD KEY ix_audit_actor (actor, id),
  ADD KEY ix_audit_action (action, id);

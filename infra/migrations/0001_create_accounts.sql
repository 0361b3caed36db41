-- One row per customer account and its single certificate. `revision` grows on
-- every change of the account or its bindings; Redis refuses to load a copy
-- older than the newest revision it was told about (see load-account.lua).
CREATE TABLE accounts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  password_hash CHAR(60) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status ENUM('active', 'frozen', 'disabled') NOT NULL DEFAULT 'active',
  version VARCHAR(32) NOT NULL,
  expires_at DATE NOT NULL,
  max_registrations INT UNSIGNED NOT NULL,
  allowed_ips TEXT NOT NULL,
  allowed_domains TEXT NOT NULL,
  allowed_app_names TEXT NOT NULL,
  revision BIGINT UNSIGNED NOT NULL DEFAULT 1,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_accounts_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

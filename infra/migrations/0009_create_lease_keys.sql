-- Ed25519 keys that sign leases (contract "Signed leases"), generated on first
-- start when LEASE_SIGNING_KEY is not given, and made anew by `keys:rotate`.
-- The signing key is the one row whose current_slot is 1: the unique key makes
-- concurrent first starts agree on one. A retired key (current_slot NULL)
-- stays in the JWKS until visible_until, when the last lease it signed has
-- expired.
CREATE TABLE lease_keys (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kid VARCHAR(64) CHARACTER SET ascii NOT NULL,
  private_pem VARBINARY(1024) NOT NULL,
  current_slot TINYINT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  retired_at DATETIME(3) NULL,
  visible_until DATETIME(3) NULL,
  UNIQUE KEY ux_lease_keys_kid (kid),
  UNIQUE KEY ux_lease_keys_current (current_slot)
) ENGINE = InnoDB;

-- Service-wide values generated once and shared by every process (the token
-- secret when TOKEN_SECRET is not given).
CREATE TABLE settings (
  name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  value VARBINARY(255) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE = InnoDB;

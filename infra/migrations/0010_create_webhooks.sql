-- Webhooks (admin contract "Webhooks"): endpoints staff subscribe, and an
-- outbox of events with one delivery per subscribed endpoint, written in the
-- transaction of the change each event announces. MySQL is the source of
-- truth; the worker's BullMQ jobs only trigger deliveries.
--
-- Each account numbers its events: event_sequence is the last number handed
-- out, bumped under the account's row lock (which every ledger transaction
-- takes first), so one account's sequences increase without gaps or repeats.
ALTER TABLE accounts ADD COLUMN event_sequence BIGINT UNSIGNED NOT NULL DEFAULT 0;

-- The secret signs deliveries (Standard Webhooks): the worker needs it in
-- clear, so it is kept as given, never logged and never audited.
CREATE TABLE webhook_endpoints (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  url VARCHAR(2048) NOT NULL,
  secret VARCHAR(128) CHARACTER SET ascii NOT NULL,
  -- JSON list of the event types the endpoint receives.
  event_types VARCHAR(1024) CHARACTER SET ascii NOT NULL,
  disabled TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- id is the Standard Webhooks `webhook-id` (msg_…), the same on every retry.
-- No foreign key to accounts: its check would take a shared lock on the
-- account row, which the writing transactions lock for update.
CREATE TABLE webhook_events (
  id VARCHAR(40) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  account_id BIGINT UNSIGNED NOT NULL,
  sequence BIGINT UNSIGNED NOT NULL,
  type VARCHAR(64) CHARACTER SET ascii NOT NULL,
  -- The delivered body, exactly: {"type","timestamp","data"}.
  body MEDIUMTEXT NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY ux_webhook_events_account_sequence (account_id, sequence)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One event to one endpoint. A pending delivery is due at next_attempt_at; a
-- worker claims it by moving next_attempt_at past its timeout (a lease), so a
-- worker that dies mid-attempt leaves it due again, never lost.
CREATE TABLE webhook_deliveries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id VARCHAR(40) CHARACTER SET ascii NOT NULL,
  endpoint_id BIGINT UNSIGNED NOT NULL,
  status ENUM('pending', 'delivered', 'failed') NOT NULL DEFAULT 'pending',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  last_status_code SMALLINT UNSIGNED NULL,
  next_attempt_at DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3),
  -- Staff asked for one more attempt (the retry route): made even while the endpoint is disabled.
  is_retry_requested TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY ux_webhook_deliveries_event_endpoint (event_id, endpoint_id),
  KEY ix_webhook_deliveries_due (status, next_attempt_at),
  KEY ix_webhook_deliveries_endpoint (endpoint_id, status, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- account.expiring is announced once a day per account: the key makes a
-- re-run (or a second worker) of the daily job announce nothing twice.
CREATE TABLE webhook_expiry_notices (
  account_id BIGINT UNSIGNED NOT NULL,
  day DATE NOT NULL,
  PRIMARY KEY (account_id, day)
) ENGINE = InnoDB;

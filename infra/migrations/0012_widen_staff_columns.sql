-- Columns as wide as what is accepted into them: an incoming x-request-id
-- of up to 128 characters (shared/http/request-id.ts), an actor that is a
-- staff email (up to 254) or `token:` and a name of up to 128, and range
-- lists with their audit copies (`before`/`after`, `details`) that outgrow
-- TEXT's 64 KiB long before they reach the list limit
-- (shared/domain/account-settings.ts). A value that did not fit failed the
-- whole change, or a whole batch of attempts, with a MySQL error.
ALTER TABLE audit_log
  MODIFY actor VARCHAR(255) NOT NULL,
  MODIFY request_id VARCHAR(128) CHARACTER SET ascii NULL,
  MODIFY details MEDIUMTEXT NOT NULL,
  MODIFY before_json MEDIUMTEXT NULL,
  MODIFY after_json MEDIUMTEXT NULL;
ALTER TABLE attempts
  MODIFY request_id VARCHAR(128) CHARACTER SET ascii NOT NULL;
ALTER TABLE accounts
  MODIFY allowed_ips MEDIUMTEXT NOT NULL,
  MODIFY allowed_domains MEDIUMTEXT NOT NULL,
  MODIFY allowed_app_names MEDIUMTEXT NOT NULL;

-- Each account's number of bindings, kept by triggers in the transaction
-- that inserts or deletes them, so it moves with the rows whatever wrote them
-- (the API, staff, the silent release, the load-test seeder, a test's SQL).
-- The seat check reads it under the account's row lock, which every binding
-- change takes first (a trigger's UPDATE takes it too), instead of counting
-- the account's rows: that count grew with the account, and an account of
-- 100,000 seats read 100,000 index entries on every registration. Updates of
-- the count leave updated_at alone: a binding is not a change of the account.
ALTER TABLE accounts ADD COLUMN bound_count INT UNSIGNED NOT NULL DEFAULT 0;

UPDATE accounts a SET bound_count = (SELECT COUNT(*) FROM bindings b WHERE b.account_id = a.id), updated_at = updated_at;

CREATE TRIGGER bindings_count_insert AFTER INSERT ON bindings FOR EACH ROW
  UPDATE accounts SET bound_count = bound_count + 1, updated_at = updated_at WHERE id = NEW.account_id;

CREATE TRIGGER bindings_count_delete AFTER DELETE ON bindings FOR EACH ROW
  UPDATE accounts SET bound_count = bound_count - 1, updated_at = updated_at WHERE id = OLD.account_id;

-- Silent-seat release (admin contract, `releaseAfterSilentSeconds`): silence
-- counts from the later of a node's last contact and the moment the setting
-- was set or changed, kept here; the index lets the release job find the
-- few accounts that use the setting without walking every account.
ALTER TABLE accounts
  ADD COLUMN release_after_silent_since DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  ADD KEY ix_accounts_release_after_silent (release_after_silent_seconds, id);

/**
 * Silent-seat release (admin contract, account field
 * `releaseAfterSilentSeconds`): a binding whose node has sent no
 * verification or registration for that long is released within 30 s after
 * the period has passed, and a node that sends one at least every half of
 * the period is never released. Silence counts from the later of the node's
 * last contact and the moment the setting was set or changed.
 *
 * Heartbeats record last-seen only when the one recorded is at least
 * `recordEvery` seconds old, so the last contact lies somewhere in
 * [recorded, recorded + recordEvery). Counting from the end of that range
 * never releases early; it releases at most `recordEvery` late, so accounts
 * with the setting record every SILENT_LAST_SEEN_SECONDS: with the release
 * job every SILENT_RELEASE_INTERVAL_SECONDS, a release comes at most 25 s
 * after the period, and a node heartbeating every half period (at least
 * 30 s) always shows a contact less than the period old.
 */
export const SILENT_LAST_SEEN_SECONDS = 15;
export const SILENT_RELEASE_INTERVAL_SECONDS = 10;

/** How stale a recorded last-seen may get for this account (0: the service's own LAST_SEEN_PERSIST_SECONDS). */
export function lastSeenEverySeconds(releaseAfterSilentSeconds: number | null): number {
  return releaseAfterSilentSeconds === null ? 0 : SILENT_LAST_SEEN_SECONDS;
}

export interface Contact {
  /** Unix seconds of the last registration of the machine (always recorded exactly). */
  registeredAt: number;
  /** Unix seconds of the last heartbeat recorded, by either store; 0 when none. */
  lastSeen: number;
  /** Unix seconds the account's setting was set or changed. */
  settingSince: number;
}

/** Unix seconds from which the binding may be released. */
export function silentReleaseDueAt(contact: Contact, releaseAfterSilentSeconds: number): number {
  const lastContact = Math.max(contact.registeredAt, contact.lastSeen > 0 ? contact.lastSeen + SILENT_LAST_SEEN_SECONDS : 0);
  return Math.max(lastContact, contact.settingSince) + releaseAfterSilentSeconds;
}

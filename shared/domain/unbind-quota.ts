/**
 * The unbinding quota (contract "Unbinding quota"): machines unbound by an
 * account's nodes within a rolling window, against the account's
 * `maxUnbindsPerDay` (null: no limit). Pure: the ledger counts, this decides.
 */
export const UNBIND_WINDOW_SECONDS = 86_400;

export type UnbindQuotaCheck =
  | { kind: 'fits' }
  /** The request fits once the `mustLeave` oldest counted unbindings have left the window. */
  | { kind: 'over'; mustLeave: number }
  /** More machines than the limit itself: no wait makes it fit. */
  | { kind: 'never' };

export function checkUnbindQuota(input: { limit: number | null; countedInWindow: number; requested: number }): UnbindQuotaCheck {
  const { limit, countedInWindow, requested } = input;
  if (limit === null || countedInWindow + requested <= limit) return { kind: 'fits' };
  if (requested > limit) return { kind: 'never' };
  return { kind: 'over', mustLeave: countedInWindow + requested - limit };
}

/**
 * Whole seconds until an unbinding counted at `countedAtMs` leaves the
 * window: at least 1 (a 429 never says "now"), at most the window, which is
 * also the answer when no wait helps.
 */
export function secondsUntilLeaves(countedAtMs: number | null, nowMs: number): number {
  if (countedAtMs === null) return UNBIND_WINDOW_SECONDS;
  const seconds = Math.ceil((countedAtMs + UNBIND_WINDOW_SECONDS * 1000 - nowMs) / 1000);
  return Math.min(UNBIND_WINDOW_SECONDS, Math.max(1, seconds));
}

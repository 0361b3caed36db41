import type { AttemptSubject } from '#shared/domain/attempt';

/** Who sent a request, as far as a use case that logs in needs to know. */
export interface Caller {
  /** The source address: the throttling key. */
  address: string;
  /**
   * Told, once the password has been checked, which existing account the
   * request named and whether the password matched; never for an unknown
   * account. The route records the attempt from it (no second query).
   */
  onAccount(subject: AttemptSubject): void;
  /** Named in every warning the request's store calls log. */
  requestId: string;
}

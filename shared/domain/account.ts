import type { IpRange } from './ranges';

export const ACCOUNT_STATUSES = ['active', 'frozen', 'disabled'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** What the registration rules need to know of an account and its certificate. */
export interface Certificate {
  id: number;
  name: string;
  status: AccountStatus;
  version: string;
  /** `YYYY-MM-DD`, valid through the end of that day, UTC. */
  expiresAt: string;
  maxRegistrations: number;
  allowedIps: readonly IpRange[];
  /** Normalised: lower-case ASCII host names or `*.` wildcards. */
  allowedDomains: readonly string[];
  allowedAppNames: readonly string[];
}

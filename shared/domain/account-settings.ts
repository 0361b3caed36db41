import { ACCOUNT_STATUSES, type AccountStatus } from './account';
import { isCalendarDate } from './expiry';
import { normaliseDomainPattern, parseIpRange } from './ranges';

/**
 * What staff set on an account, validated before it is stored, so that the
 * registration path can trust every stored range. Returns every problem at
 * once, each naming its field.
 */
export interface AccountSettings {
  status: AccountStatus;
  version: string;
  expiresAt: string;
  maxRegistrations: number;
  allowedIps: string[];
  allowedDomains: string[];
  allowedAppNames: string[];
}

export const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
export const MAX_SEATS = 1_000_000;

export type SettingsCheck = { ok: true; settings: AccountSettings } | { ok: false; problems: string[] };

export function checkAccountSettings(input: AccountSettings): SettingsCheck {
  const problems: string[] = [];
  if (!ACCOUNT_STATUSES.includes(input.status)) problems.push(`status: must be one of ${ACCOUNT_STATUSES.join(', ')}`);
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/.test(input.version)) problems.push('version: 1 to 32 characters such as 11.0');
  if (!isCalendarDate(input.expiresAt)) problems.push('expires: a calendar date YYYY-MM-DD');
  if (!Number.isInteger(input.maxRegistrations) || input.maxRegistrations < 0 || input.maxRegistrations > MAX_SEATS) {
    problems.push(`max-registrations: a whole number from 0 to ${MAX_SEATS}`);
  }
  const allowedIps = input.allowedIps.map((ip) => ip.trim());
  allowedIps.filter((ip) => parseIpRange(ip) === null).forEach((ip) => problems.push(`allowed-ips: not an address or CIDR block: ${ip}`));
  const allowedDomains = input.allowedDomains.map((domain) => normaliseDomainPattern(domain) ?? '');
  input.allowedDomains
    .filter((_, index) => allowedDomains[index] === '')
    .forEach((domain) => problems.push(`allowed-domains: not a host name or *.wildcard: ${domain}`));
  const allowedAppNames = input.allowedAppNames.map((name) => name.trim());
  allowedAppNames
    .filter((name) => name.length === 0 || name.length > 128)
    .forEach((name) => problems.push(`allowed-app-names: 1 to 128 characters each: ${JSON.stringify(name)}`));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, settings: { ...input, allowedIps, allowedDomains, allowedAppNames } };
}

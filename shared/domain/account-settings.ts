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
/**
 * Entries of one range list: every registration checks each of its nodes
 * against the lists, and a customer's ranges are a handful of networks, not
 * an address book.
 */
export const MAX_RANGE_ENTRIES = 1000;

/** One problem with one field, named by its path in the account's JSON (`allowedIps[1]`); each front end words the path its own way. */
export interface FieldProblem {
  field: string;
  message: string;
}

export type SettingsValidation = { ok: true; settings: AccountSettings } | { ok: false; problems: FieldProblem[] };
export type SettingsCheck = { ok: true; settings: AccountSettings } | { ok: false; problems: string[] };

/** Every rule on the settings, every problem at once in field order; valid settings come back normalised. */
export function validateAccountSettings(input: AccountSettings): SettingsValidation {
  const problems: FieldProblem[] = [];
  if (!ACCOUNT_STATUSES.includes(input.status))
    problems.push({ field: 'status', message: `must be one of ${ACCOUNT_STATUSES.join(', ')}` });
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/.test(input.version))
    problems.push({ field: 'version', message: '1 to 32 characters such as 11.0' });
  if (!isCalendarDate(input.expiresAt)) problems.push({ field: 'expiresAt', message: 'a calendar date YYYY-MM-DD' });
  if (!Number.isInteger(input.maxRegistrations) || input.maxRegistrations < 0 || input.maxRegistrations > MAX_SEATS) {
    problems.push({ field: 'maxRegistrations', message: `a whole number from 0 to ${MAX_SEATS}` });
  }
  const checkLength = (field: 'allowedIps' | 'allowedDomains' | 'allowedAppNames') => {
    if (input[field].length > MAX_RANGE_ENTRIES) problems.push({ field, message: `at most ${MAX_RANGE_ENTRIES} entries` });
  };
  checkLength('allowedIps');
  const allowedIps = input.allowedIps.map((ip) => ip.trim());
  allowedIps.forEach((ip, index) => {
    if (parseIpRange(ip) === null) problems.push({ field: `allowedIps[${index}]`, message: `not an address or CIDR block: ${ip}` });
  });
  checkLength('allowedDomains');
  const allowedDomains = input.allowedDomains.map((domain) => normaliseDomainPattern(domain) ?? '');
  input.allowedDomains.forEach((domain, index) => {
    if (allowedDomains[index] === '')
      problems.push({ field: `allowedDomains[${index}]`, message: `not a host name or *.wildcard: ${domain}` });
  });
  checkLength('allowedAppNames');
  const allowedAppNames = input.allowedAppNames.map((name) => name.trim());
  allowedAppNames.forEach((name, index) => {
    if (name.length === 0 || name.length > 128)
      problems.push({ field: `allowedAppNames[${index}]`, message: `1 to 128 characters each: ${JSON.stringify(name)}` });
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, settings: { ...input, allowedIps, allowedDomains, allowedAppNames } };
}

/** The command line's names for the settings' fields (its options). */
const OPTION_NAMES: Record<keyof AccountSettings, string> = {
  status: 'status',
  version: 'version',
  expiresAt: 'expires',
  maxRegistrations: 'max-registrations',
  allowedIps: 'allowed-ips',
  allowedDomains: 'allowed-domains',
  allowedAppNames: 'allowed-app-names',
};

/** A problem as the command line words it: `allowed-ips: not an address …`. */
export function describeForCommandLine(problem: FieldProblem): string {
  const root = problem.field.replace(/\[\d+\]$/, '');
  const name = Object.hasOwn(OPTION_NAMES, root) ? OPTION_NAMES[root as keyof AccountSettings] : problem.field;
  return `${name}: ${problem.message}`;
}

/** validateAccountSettings with each problem worded for the command line and the logs. */
export function checkAccountSettings(input: AccountSettings): SettingsCheck {
  const validation = validateAccountSettings(input);
  return validation.ok ? validation : { ok: false, problems: validation.problems.map(describeForCommandLine) };
}

/**
 * Limits that belong to later features, stored and shown now: the node
 * contract's unbinding quota and the silent-seat release (null: none).
 */
export interface AccountPolicy {
  maxUnbindsPerDay: number | null;
  releaseAfterSilentSeconds: number | null;
}

export const NO_POLICY: AccountPolicy = { maxUnbindsPerDay: null, releaseAfterSilentSeconds: null };
const MAX_UNBINDS_PER_DAY = 1_000_000;
const MIN_SILENT_SECONDS = 60;
const MAX_SILENT_SECONDS = 366 * 86_400;

export function validateAccountPolicy(input: AccountPolicy): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const unbinds = input.maxUnbindsPerDay;
  if (unbinds !== null && (!Number.isInteger(unbinds) || unbinds < 0 || unbinds > MAX_UNBINDS_PER_DAY)) {
    problems.push({ field: 'maxUnbindsPerDay', message: `null or a whole number from 0 to ${MAX_UNBINDS_PER_DAY}` });
  }
  const silent = input.releaseAfterSilentSeconds;
  if (silent !== null && (!Number.isInteger(silent) || silent < MIN_SILENT_SECONDS || silent > MAX_SILENT_SECONDS)) {
    problems.push({
      field: 'releaseAfterSilentSeconds',
      message: `null or a whole number of seconds from ${MIN_SILENT_SECONDS} to ${MAX_SILENT_SECONDS}`,
    });
  }
  return problems;
}

import {
  ACCOUNT_NAME_PATTERN,
  NO_POLICY,
  describeForCommandLine,
  validateAccountPolicy,
  validateAccountSettings,
  type AccountPolicy,
  type AccountSettings,
  type FieldProblem,
} from '#shared/domain/account-settings';

/**
 * Checks of what staff type, each problem naming the option it is about.
 * Settings go through the shared validateAccountSettings, the same rules the
 * registration path relies on.
 */

/** bcrypt reads at most 72 bytes; a longer password would silently match on its prefix. */
const MAX_PASSWORD_BYTES = 72;

export function accountNameProblems(name: string): FieldProblem[] {
  return ACCOUNT_NAME_PATTERN.test(name)
    ? []
    : [{ field: 'name', message: '1 to 128 characters of letters, digits and . _ @ -, starting with a letter or digit' }];
}

export function passwordProblems(password: string): FieldProblem[] {
  const bytes = Buffer.byteLength(password, 'utf8');
  return bytes >= 1 && bytes <= MAX_PASSWORD_BYTES ? [] : [{ field: 'password', message: `1 to ${MAX_PASSWORD_BYTES} bytes` }];
}

export const checkAccountName = (name: string): string[] => accountNameProblems(name).map(describeForCommandLine);
export const checkPassword = (password: string): string[] => passwordProblems(password).map(describeForCommandLine);

/**
 * Settings every rule accepts: checking the given settings over this base
 * reports exactly the problems of the given ones, so an update (or a create
 * with options missing) is checked before any store is touched.
 */
const NEUTRAL_SETTINGS: AccountSettings = {
  status: 'active',
  version: '1',
  expiresAt: '2000-01-01',
  maxRegistrations: 0,
  allowedIps: [],
  allowedDomains: [],
  allowedAppNames: [],
};

/** Every problem of the fields given, each alone: what the other fields hold does not matter to any rule. */
export function givenFieldProblems(given: Partial<AccountSettings & AccountPolicy>): FieldProblem[] {
  const validation = validateAccountSettings({ ...NEUTRAL_SETTINGS, ...given });
  return [
    ...(validation.ok ? [] : validation.problems),
    ...validateAccountPolicy({
      maxUnbindsPerDay: given.maxUnbindsPerDay ?? NO_POLICY.maxUnbindsPerDay,
      releaseAfterSilentSeconds: given.releaseAfterSilentSeconds ?? NO_POLICY.releaseAfterSilentSeconds,
    }),
  ];
}

export function checkGivenSettings(given: Partial<AccountSettings>): string[] {
  return givenFieldProblems(given).map(describeForCommandLine);
}

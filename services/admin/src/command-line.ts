import { parseArgs } from 'node:util';
import { ACCOUNT_STATUSES, type AccountStatus } from '#shared/domain/account';
import { NO_POLICY, validateAccountPolicy, type AccountPolicy, type AccountSettings } from '#shared/domain/account-settings';
import { STAFF_ROLES, type StaffRole } from '#shared/domain/staff';
import { checkAccountName, checkGivenSettings, checkPassword } from './account-input';
import type { CreateAccountInput, UpdateAccountInput } from './commands/accounts';
import type { ListAuditInput } from './commands/audit';
import type { ReleaseBindingInput } from './commands/bindings';

/**
 * Turns argv into one typed invocation, or every problem found in it. Nothing
 * here touches a store: a usage error is reported the same whether or not
 * MySQL and Redis are up.
 */
const SETTINGS_OPTIONS = [
  'status',
  'version',
  'expires',
  'max-registrations',
  'allowed-ips',
  'allowed-domains',
  'allowed-app-names',
] as const;
const POLICY_OPTIONS = ['max-unbinds-per-day', 'release-after-silent-seconds'] as const;
const ACCOUNT_OPTIONS = [...SETTINGS_OPTIONS, ...POLICY_OPTIONS];

const COMMANDS = {
  'accounts:create': ['name', 'password', ...ACCOUNT_OPTIONS],
  'accounts:update': ['name', 'password', ...ACCOUNT_OPTIONS],
  'accounts:show': ['name'],
  'accounts:list': [],
  'bindings:release': ['name', 'machine-code'],
  'audit:list': ['name', 'limit'],
  'staff:create': ['email', 'role', 'password'],
  'keys:rotate': [],
} as const satisfies Record<string, readonly string[]>;

type CommandName = keyof typeof COMMANDS;

export type Invocation =
  | { command: 'help' }
  | { command: 'accounts:create'; input: CreateAccountInput }
  | { command: 'accounts:update'; input: UpdateAccountInput }
  | { command: 'accounts:show'; input: { name: string } }
  | { command: 'accounts:list' }
  | { command: 'bindings:release'; input: ReleaseBindingInput }
  | { command: 'audit:list'; input: ListAuditInput }
  /** Without `password`, the CLI reads it from one line of standard input. */
  | { command: 'staff:create'; input: { email: string; role: StaffRole; password?: string } }
  | { command: 'keys:rotate' };

export type ParsedCommandLine = { ok: true; invocation: Invocation } | { ok: false; problems: string[] };

export const USAGE = `usage: npm run --silent cli -- <command> [options]

  accounts:create --name N --password P --version V --expires YYYY-MM-DD --max-registrations K
                  [--allowed-ips a,b] [--allowed-domains a,b] [--allowed-app-names a,b]
                  [--status active|frozen|disabled] [--max-unbinds-per-day K]
                  [--release-after-silent-seconds S]   (S >= 60: release bindings silent that long)
  accounts:update --name N [any option of accounts:create]   (--allowed-ips "" clears a list,
                  --max-unbinds-per-day "" the unbinding quota, --release-after-silent-seconds "" the release)
  accounts:show --name N
  accounts:list
  bindings:release --name N --machine-code M
  audit:list [--name N] [--limit K]
  staff:create --email E --role viewer|operator|admin [--password P]   (without --password: one line of stdin)
  keys:rotate     a new lease signing key; the old one stays in the JWKS until its last lease expires

Exit status: 0 done, 1 failed (or done with a warning on stderr), 2 usage error.
Configuration comes from the same environment as the API (MYSQL_URL, REDIS_URL, ...).`;

const DEFAULT_AUDIT_LIMIT = 50;
const MAX_AUDIT_LIMIT = 1000;
const MAX_MACHINE_CODE_LENGTH = 255;

type Values = Partial<Record<string, string>>;

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** `a, b` → ['a', 'b']; an empty value is the empty list (how staff clear one). */
function splitList(value: string): string[] {
  return value.trim() === '' ? [] : value.split(',').map((item) => item.trim());
}

/** Not a whole number becomes NaN, which validateAccountSettings reports under the option's name. */
function wholeNumber(value: string): number {
  return /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
}

function readSettings(values: Values): { given: Partial<AccountSettings>; problems: string[] } {
  const given: Partial<AccountSettings> = {};
  const problems: string[] = [];
  if (values.status !== undefined) {
    const status: AccountStatus | undefined = ACCOUNT_STATUSES.find((known) => known === values.status);
    if (status === undefined) problems.push(`status: must be one of ${ACCOUNT_STATUSES.join(', ')}`);
    else given.status = status;
  }
  if (values.version !== undefined) given.version = values.version;
  if (values.expires !== undefined) given.expiresAt = values.expires;
  if (values['max-registrations'] !== undefined) given.maxRegistrations = wholeNumber(values['max-registrations']);
  if (values['allowed-ips'] !== undefined) given.allowedIps = splitList(values['allowed-ips']);
  if (values['allowed-domains'] !== undefined) given.allowedDomains = splitList(values['allowed-domains']);
  if (values['allowed-app-names'] !== undefined) given.allowedAppNames = splitList(values['allowed-app-names']);
  return { given, problems: [...problems, ...checkGivenSettings(given)] };
}

const POLICY_FIELDS = {
  'max-unbinds-per-day': 'maxUnbindsPerDay',
  'release-after-silent-seconds': 'releaseAfterSilentSeconds',
} as const satisfies Record<(typeof POLICY_OPTIONS)[number], keyof AccountPolicy>;

/** The unbinding quota and the silent-seat release: an empty value is none (how staff clear them). */
function readPolicy(values: Values): { given: Partial<AccountPolicy>; problems: string[] } {
  const given: Partial<AccountPolicy> = {};
  for (const option of POLICY_OPTIONS) {
    const value = values[option];
    if (value !== undefined) given[POLICY_FIELDS[option]] = value.trim() === '' ? null : wholeNumber(value);
  }
  const optionOf = new Map(POLICY_OPTIONS.map((option) => [POLICY_FIELDS[option] as string, option]));
  const problems = validateAccountPolicy({ ...NO_POLICY, ...given }).map(
    (problem) => `${optionOf.get(problem.field) ?? problem.field}: ${problem.message.replace(/^null/, 'empty')}`,
  );
  return { given, problems };
}

const isPolicyGiven = (values: Values) => POLICY_OPTIONS.some((option) => values[option] !== undefined);

function required(values: Values, names: readonly string[]): string[] {
  return names.filter((name) => values[name] === undefined).map((name) => `--${name} is required`);
}

type Build = { ok: true; invocation: Invocation } | { ok: false; problems: string[] };

function fail(problems: string[]): Build {
  return { ok: false, problems };
}

function buildCreate(values: Values): Build {
  const missing = required(values, ['name', 'password', 'version', 'expires', 'max-registrations']);
  const { given, problems } = readSettings(values);
  const policy = readPolicy(values);
  const all = [
    ...missing,
    ...(values.name === undefined ? [] : checkAccountName(values.name)),
    ...(values.password === undefined ? [] : checkPassword(values.password)),
    ...problems,
    ...policy.problems,
  ];
  const { name, password } = values;
  const { version, expiresAt, maxRegistrations } = given;
  if (
    all.length > 0 ||
    name === undefined ||
    password === undefined ||
    version === undefined ||
    expiresAt === undefined ||
    maxRegistrations === undefined
  ) {
    return fail(all);
  }
  const settings: AccountSettings = {
    status: given.status ?? 'active',
    version,
    expiresAt,
    maxRegistrations,
    allowedIps: given.allowedIps ?? [],
    allowedDomains: given.allowedDomains ?? [],
    allowedAppNames: given.allowedAppNames ?? [],
  };
  const input: CreateAccountInput = !isPolicyGiven(values)
    ? { name, password, settings }
    : { name, password, settings, policy: { ...NO_POLICY, ...policy.given } };
  return { ok: true, invocation: { command: 'accounts:create', input } };
}

function buildUpdate(values: Values): Build {
  const { given, problems } = readSettings(values);
  const policy = readPolicy(values);
  const isChangingSomething = values.password !== undefined || ACCOUNT_OPTIONS.some((option) => values[option] !== undefined);
  const all = [
    ...required(values, ['name']),
    ...(values.name === undefined ? [] : checkAccountName(values.name)),
    ...(values.password === undefined ? [] : checkPassword(values.password)),
    ...(isChangingSomething
      ? []
      : [`nothing to change: give at least one of --password, ${ACCOUNT_OPTIONS.map((o) => `--${o}`).join(', ')}`]),
    ...problems,
    ...policy.problems,
  ];
  const { name, password } = values;
  if (all.length > 0 || name === undefined) return fail(all);
  const input: UpdateAccountInput = {
    name,
    ...(password === undefined ? {} : { password }),
    settings: given,
    ...(isPolicyGiven(values) ? { policy: policy.given } : {}),
  };
  return { ok: true, invocation: { command: 'accounts:update', input } };
}

function buildShow(values: Values): Build {
  const { name } = values;
  if (name === undefined) return fail(required(values, ['name']));
  const problems = checkAccountName(name);
  return problems.length > 0 ? fail(problems) : { ok: true, invocation: { command: 'accounts:show', input: { name } } };
}

function buildRelease(values: Values): Build {
  const { name, 'machine-code': machineCode } = values;
  const problems = [
    ...required(values, ['name', 'machine-code']),
    ...(name === undefined ? [] : checkAccountName(name)),
    ...(machineCode !== undefined && (machineCode.length === 0 || machineCode.length > MAX_MACHINE_CODE_LENGTH)
      ? [`machine-code: 1 to ${MAX_MACHINE_CODE_LENGTH} characters`]
      : []),
  ];
  if (problems.length > 0 || name === undefined || machineCode === undefined) return fail(problems);
  return { ok: true, invocation: { command: 'bindings:release', input: { name, machineCode } } };
}

function buildAuditList(values: Values): Build {
  const { name } = values;
  const limit = values.limit === undefined ? DEFAULT_AUDIT_LIMIT : wholeNumber(values.limit);
  const problems = [
    ...(name === undefined ? [] : checkAccountName(name)),
    ...(Number.isInteger(limit) && limit >= 1 && limit <= MAX_AUDIT_LIMIT ? [] : [`limit: a whole number from 1 to ${MAX_AUDIT_LIMIT}`]),
  ];
  if (problems.length > 0) return fail(problems);
  return { ok: true, invocation: { command: 'audit:list', input: name === undefined ? { limit } : { name, limit } } };
}

function buildStaffCreate(values: Values): Build {
  const { email, role, password } = values;
  const staffRole = STAFF_ROLES.find((known) => known === role);
  const problems = [
    ...required(values, ['email', 'role']),
    ...(role !== undefined && staffRole === undefined ? [`role: one of ${STAFF_ROLES.join(', ')}`] : []),
  ];
  if (problems.length > 0 || email === undefined || staffRole === undefined) return fail(problems);
  return {
    ok: true,
    invocation: { command: 'staff:create', input: { email, role: staffRole, ...(password === undefined ? {} : { password }) } },
  };
}

const BUILDERS: Record<CommandName, (values: Values) => Build> = {
  'accounts:create': buildCreate,
  'accounts:update': buildUpdate,
  'accounts:show': buildShow,
  'accounts:list': () => ({ ok: true, invocation: { command: 'accounts:list' } }),
  'bindings:release': buildRelease,
  'audit:list': buildAuditList,
  'staff:create': buildStaffCreate,
  'keys:rotate': () => ({ ok: true, invocation: { command: 'keys:rotate' } }),
};

/**
 * A password is any text, a leading dash included, which parseArgs would
 * take for an option: the word after `--password` is joined to it
 * (`--password=-x`), so the password is read exactly as typed.
 */
function joinPasswordValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    const value = args[index + 1];
    if (arg === '--password' && value !== undefined) {
      joined.push(`--password=${value}`);
      index++;
    } else joined.push(arg);
  }
  return joined;
}

/** Strict parsing: unknown options, positionals and missing values are errors; an option given twice is one too. */
function readOptions(
  command: CommandName,
  args: readonly string[],
): { ok: true; values: Values; duplicates: string[] } | { ok: false; problem: string } {
  const options = Object.fromEntries(COMMANDS[command].map((name) => [name, { type: 'string' as const }]));
  try {
    const { tokens } = parseArgs({ args: joinPasswordValues(args), options, strict: true, allowPositionals: false, tokens: true });
    const values: Values = {};
    const duplicates: string[] = [];
    for (const token of tokens) {
      if (token.kind !== 'option') continue;
      if (values[token.name] !== undefined) duplicates.push(`--${token.name} is given more than once`);
      if (typeof token.value === 'string') values[token.name] = token.value;
    }
    return { ok: true, values, duplicates };
  } catch (error) {
    // parseArgs stops at the first such error; its message's first line says which.
    return { ok: false, problem: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'invalid arguments' };
  }
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const [command, ...args] = argv;
  if (command === undefined || ['help', '--help', '-h'].includes(command) || args.includes('--help')) {
    return { ok: true, invocation: { command: 'help' } };
  }
  if (!isCommandName(command)) return { ok: false, problems: [`unknown command: ${command}`] };
  const options = readOptions(command, args);
  if (!options.ok) return { ok: false, problems: [`${command}: ${options.problem}`] };
  const built = BUILDERS[command](options.values);
  // A set: the shared checks name a problem once per offending item, which says nothing new twice.
  const problems = new Set([...options.duplicates, ...(built.ok ? [] : built.problems)]);
  return built.ok && problems.size === 0 ? built : { ok: false, problems: [...problems].map((problem) => `${command}: ${problem}`) };
}

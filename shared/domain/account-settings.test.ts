import assert from 'node:assert/strict';
import { checkAccountSettings, MAX_RANGE_ENTRIES, MAX_SEATS, type AccountSettings } from './account-settings';
import { settingsFixture } from './test-fixtures';

function problemsOf(input: AccountSettings): string[] {
  const check = checkAccountSettings(input);
  assert.equal(check.ok, false, 'settings must be refused');
  return check.problems;
}

describe('checkAccountSettings', () => {
  it('accepts valid settings with empty ranges as they are', () => {
    assert.deepEqual(checkAccountSettings(settingsFixture()), { ok: true, settings: settingsFixture() });
  });

  it('accepts every status', () => {
    for (const status of ['active', 'frozen', 'disabled'] as const) {
      assert.equal(checkAccountSettings(settingsFixture({ status })).ok, true, status);
    }
  });

  it('accepts 0 and the largest number of seats', () => {
    assert.equal(checkAccountSettings(settingsFixture({ maxRegistrations: 0 })).ok, true);
    assert.equal(checkAccountSettings(settingsFixture({ maxRegistrations: MAX_SEATS })).ok, true);
  });

  it('normalises ranges: trims addresses and app names, lower-cases and punycodes domains', () => {
    const check = checkAccountSettings(
      settingsFixture({
        allowedIps: [' 203.0.113.0/24 ', '2001:db8::/32'],
        allowedDomains: ['Report.ACME.com.', ' *.Example.COM ', 'bücher.example'],
        allowedAppNames: [' webroot ', 'reports'],
      }),
    );
    assert.deepEqual(check, {
      ok: true,
      settings: settingsFixture({
        allowedIps: ['203.0.113.0/24', '2001:db8::/32'],
        allowedDomains: ['report.acme.com', '*.example.com', 'xn--bcher-kva.example'],
        allowedAppNames: ['webroot', 'reports'],
      }),
    });
  });

  it('leaves its input untouched', () => {
    const input = settingsFixture({ allowedDomains: ['Report.ACME.com'] });
    checkAccountSettings(input);
    assert.deepEqual(input.allowedDomains, ['Report.ACME.com']);
  });

  const single: ReadonlyArray<{ why: string; overrides: Partial<AccountSettings>; field: string }> = [
    { why: 'an unknown status', overrides: { status: 'suspended' as AccountSettings['status'] }, field: 'status' },
    { why: 'an empty version', overrides: { version: '' }, field: 'version' },
    { why: 'a version with a space', overrides: { version: '11 0' }, field: 'version' },
    { why: 'a version over 32 characters', overrides: { version: `1.${'0'.repeat(31)}` }, field: 'version' },
    { why: 'an impossible date', overrides: { expiresAt: '2026-02-30' }, field: 'expires' },
    { why: 'a date that is not YYYY-MM-DD', overrides: { expiresAt: '2026-1-1' }, field: 'expires' },
    { why: 'a negative number of seats', overrides: { maxRegistrations: -1 }, field: 'max-registrations' },
    { why: 'a fractional number of seats', overrides: { maxRegistrations: 1.5 }, field: 'max-registrations' },
    { why: 'too many seats', overrides: { maxRegistrations: MAX_SEATS + 1 }, field: 'max-registrations' },
    { why: 'a NaN number of seats', overrides: { maxRegistrations: Number.NaN }, field: 'max-registrations' },
    { why: 'an address that is not strict', overrides: { allowedIps: ['010.0.0.1'] }, field: 'allowed-ips' },
    { why: 'a prefix too long', overrides: { allowedIps: ['1.2.3.4/33'] }, field: 'allowed-ips' },
    { why: 'an empty address', overrides: { allowedIps: [''] }, field: 'allowed-ips' },
    { why: 'a domain with an empty label', overrides: { allowedDomains: ['a..example'] }, field: 'allowed-domains' },
    { why: 'a lone asterisk as a domain', overrides: { allowedDomains: ['*'] }, field: 'allowed-domains' },
    { why: 'an empty domain', overrides: { allowedDomains: [''] }, field: 'allowed-domains' },
    { why: 'a domain followed by a path', overrides: { allowedDomains: ['acme.com/reports'] }, field: 'allowed-domains' },
    { why: 'an app name of spaces only', overrides: { allowedAppNames: ['   '] }, field: 'allowed-app-names' },
    { why: 'an app name over 128 characters', overrides: { allowedAppNames: ['a'.repeat(129)] }, field: 'allowed-app-names' },
  ];

  for (const { why, overrides, field } of single) {
    it(`refuses ${why}, naming ${field}`, () => {
      const problems = problemsOf(settingsFixture(overrides));
      assert.equal(problems.length, 1, problems.join('; '));
      assert.ok(problems[0]?.startsWith(`${field}: `), problems[0]);
    });
  }

  it(`accepts ${MAX_RANGE_ENTRIES} entries in a range list and refuses one more, naming the list`, () => {
    const addresses = (count: number) => Array.from({ length: count }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.0/24`);
    assert.equal(checkAccountSettings(settingsFixture({ allowedIps: addresses(MAX_RANGE_ENTRIES) })).ok, true);
    const names = Array.from({ length: MAX_RANGE_ENTRIES + 1 }, (_, i) => `app-${i}`);
    assert.deepEqual(problemsOf(settingsFixture({ allowedIps: addresses(MAX_RANGE_ENTRIES + 1), allowedAppNames: names })), [
      `allowed-ips: at most ${MAX_RANGE_ENTRIES} entries`,
      `allowed-app-names: at most ${MAX_RANGE_ENTRIES} entries`,
    ]);
  });

  it('names each bad address and domain in its problem', () => {
    const problems = problemsOf(
      settingsFixture({ allowedIps: ['203.0.113.0/24', '0x7f.0.0.1'], allowedDomains: ['ok.example', 'bad domain'] }),
    );
    assert.deepEqual(problems, [
      'allowed-ips: not an address or CIDR block: 0x7f.0.0.1',
      'allowed-domains: not a host name or *.wildcard: bad domain',
    ]);
  });

  it('lists every problem at once, in field order', () => {
    const problems = problemsOf({
      status: 'gone' as AccountSettings['status'],
      version: '',
      expiresAt: '2026-13-01',
      maxRegistrations: -5,
      allowedIps: ['garbage', '203.0.113.0/24', '1.2.3.4/33'],
      allowedDomains: ['*.ok.example', '*', 'a..b'],
      allowedAppNames: ['webroot', ''],
    });
    assert.deepEqual(
      problems.map((problem) => problem.slice(0, problem.indexOf(':'))),
      [
        'status',
        'version',
        'expires',
        'max-registrations',
        'allowed-ips',
        'allowed-ips',
        'allowed-domains',
        'allowed-domains',
        'allowed-app-names',
      ],
    );
  });
});

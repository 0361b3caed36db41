import assert from 'node:assert/strict';
import type { Certificate } from './account';
import type { AccountSettings } from './account-settings';
import { normaliseDomainPattern, parseIpRange, type IpRange } from './ranges';

/**
 * Fixtures shared by the domain tests. Pure: every call builds fresh objects
 * and arrays, so a test may change what it gets without touching another's.
 */

/** Active, certified for 11.0 until 2027-02-22, ten seats, every range list empty (open). */
function openAccountTerms() {
  return {
    status: 'active' as const,
    version: '11.0',
    expiresAt: '2027-02-22',
    maxRegistrations: 10,
    allowedIps: [],
    allowedDomains: [],
    allowedAppNames: [],
  };
}

/** An active account with an unexpired 11.0 certificate and open ranges, changed by `overrides`. */
export function certificateFixture(overrides: Partial<Certificate> = {}): Certificate {
  return { id: 1, name: 'acme', ...openAccountTerms(), ...overrides };
}

/** Valid account settings with the same terms as certificateFixture(), changed by `overrides`. */
export function settingsFixture(overrides: Partial<AccountSettings> = {}): AccountSettings {
  return { ...openAccountTerms(), ...overrides };
}

/** Stored ranges as staff save them: every text must parse. */
export function ipRanges(...texts: string[]): IpRange[] {
  return texts.map((text) => {
    const range = parseIpRange(text);
    assert.ok(range, `test range ${text} must parse`);
    return range;
  });
}

/** Stored domain patterns as staff save them: every text must normalise. */
export function domainPatterns(...texts: string[]): string[] {
  return texts.map((text) => {
    const pattern = normaliseDomainPattern(text);
    assert.ok(pattern, `test pattern ${text} must normalise`);
    return pattern;
  });
}

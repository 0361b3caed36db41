import assert from 'node:assert/strict';
import {
  isAppNameAllowed,
  isDomainAllowed,
  isIpAllowed,
  isStrictIp,
  normaliseDomainPattern,
  normaliseHostName,
  parseIpRange,
} from './ranges';
import { domainPatterns, ipRanges } from './test-fixtures';

describe('parseIpRange', () => {
  const accepted: ReadonlyArray<{ text: string; address: string; kind: 'ipv4' | 'ipv6'; prefixLength: number; why: string }> = [
    { text: '203.0.113.7', address: '203.0.113.7', kind: 'ipv4', prefixLength: 32, why: 'an IPv4 address as a /32' },
    { text: '203.0.113.0/24', address: '203.0.113.0', kind: 'ipv4', prefixLength: 24, why: 'an IPv4 CIDR block' },
    { text: '0.0.0.0/0', address: '0.0.0.0', kind: 'ipv4', prefixLength: 0, why: 'the whole IPv4 space' },
    { text: '10.0.0.0/8', address: '10.0.0.0', kind: 'ipv4', prefixLength: 8, why: 'a /8 block' },
    { text: '2001:db8::1', address: '2001:db8::1', kind: 'ipv6', prefixLength: 128, why: 'an IPv6 address as a /128' },
    { text: '2001:db8::/32', address: '2001:db8::', kind: 'ipv6', prefixLength: 32, why: 'an IPv6 CIDR block' },
    { text: '2001:DB8::/48', address: '2001:db8::', kind: 'ipv6', prefixLength: 48, why: 'upper-case hex digits' },
    { text: '::/0', address: '::', kind: 'ipv6', prefixLength: 0, why: 'the whole IPv6 space' },
    { text: '::1', address: '::1', kind: 'ipv6', prefixLength: 128, why: 'the IPv6 loopback' },
    { text: '::ffff:203.0.113.7', address: '203.0.113.7', kind: 'ipv4', prefixLength: 32, why: 'an IPv4-mapped IPv6 address, as IPv4' },
    {
      text: '::ffff:203.0.113.0/120',
      address: '203.0.113.0',
      kind: 'ipv4',
      prefixLength: 24,
      why: 'an IPv4-mapped IPv6 block, as the IPv4 block',
    },
    { text: '::ffff:0:0/96', address: '0.0.0.0', kind: 'ipv4', prefixLength: 0, why: 'the whole IPv4-mapped space, as all of IPv4' },
    { text: '  192.0.2.0/24  ', address: '192.0.2.0', kind: 'ipv4', prefixLength: 24, why: 'a block with surrounding space' },
  ];

  for (const { text, address, kind, prefixLength, why } of accepted) {
    it(`accepts ${why} (${JSON.stringify(text)})`, () => {
      const range = parseIpRange(text);
      assert.ok(range);
      assert.equal(range.address.kind(), kind);
      assert.equal(range.address.toString(), address);
      assert.equal(range.prefixLength, prefixLength);
    });
  }

  const rejected: ReadonlyArray<{ text: string; why: string }> = [
    { text: '1', why: 'a bare number' },
    { text: '127.1', why: 'a shortened IPv4 address' },
    { text: '010.0.0.1', why: 'an octet with a leading zero (octal to some parsers)' },
    { text: '0x7f.0.0.1', why: 'a hexadecimal octet' },
    { text: '256.0.0.1', why: 'an octet over 255' },
    { text: '1.2.3.4.5', why: 'five octets' },
    { text: '1.2.3.4/33', why: 'an IPv4 prefix longer than 32' },
    { text: '2001:db8::/129', why: 'an IPv6 prefix longer than 128' },
    { text: '1.2.3.4/', why: 'an empty prefix' },
    { text: '1.2.3.4/-1', why: 'a negative prefix' },
    { text: '1.2.3.4/+8', why: 'a signed prefix' },
    { text: '1.2.3.4/8.0', why: 'a fractional prefix' },
    { text: '1.2.3.4/1e1', why: 'a prefix in exponent notation' },
    { text: '1.2.3.4/8/8', why: 'two prefixes' },
    { text: '/24', why: 'a prefix without an address' },
    { text: 'fe80::1%eth0', why: 'an IPv6 address with a zone' },
    { text: 'fe80::1%eth0/64', why: 'an IPv6 block with a zone' },
    { text: '1::2::3', why: 'two :: in one IPv6 address' },
    { text: '1:2:3:4:5:6:7:8:9', why: 'nine IPv6 groups' },
    { text: '[2001:db8::1]', why: 'a bracketed IPv6 address' },
    { text: '::ffff:010.0.0.1', why: 'an IPv4-mapped address with a leading-zero octet' },
    { text: '::ffff:0x7f.0.0.1', why: 'an IPv4-mapped address with a hexadecimal octet' },
    { text: 'garbage', why: 'a word' },
    { text: 'example.com', why: 'a host name' },
    { text: '', why: 'an empty string' },
    { text: '   ', why: 'only spaces' },
  ];

  for (const { text, why } of rejected) {
    it(`rejects ${why} (${JSON.stringify(text)})`, () => {
      assert.equal(parseIpRange(text), null);
    });
  }
});

describe('isStrictIp', () => {
  const cases: ReadonlyArray<{ text: string; valid: boolean; why: string }> = [
    { text: '203.0.113.7', valid: true, why: 'an IPv4 address' },
    { text: '0.0.0.0', valid: true, why: 'the IPv4 unspecified address' },
    { text: '255.255.255.255', valid: true, why: 'the IPv4 broadcast address' },
    { text: '2001:db8::1', valid: true, why: 'an IPv6 address' },
    { text: '2001:0db8:0000:0000:0000:0000:0000:0001', valid: true, why: 'a fully written IPv6 address' },
    { text: '::', valid: true, why: 'the IPv6 unspecified address' },
    { text: '::ffff:203.0.113.7', valid: true, why: 'an IPv4-mapped IPv6 address' },
    { text: '1:2:3:4:5:6:1.2.3.4', valid: true, why: 'an IPv6 address ending in dotted IPv4' },
    { text: '1', valid: false, why: 'a bare number' },
    { text: '127.1', valid: false, why: 'a shortened IPv4 address' },
    { text: '010.0.0.1', valid: false, why: 'an octet with a leading zero' },
    { text: '1.2.3.04', valid: false, why: 'a last octet with a leading zero' },
    { text: '0x7f.0.0.1', valid: false, why: 'a hexadecimal octet' },
    { text: '::ffff:010.0.0.1', valid: false, why: 'an embedded IPv4 octet with a leading zero' },
    { text: '::ffff:0x7f.0.0.1', valid: false, why: 'an embedded hexadecimal IPv4 octet' },
    { text: '::ffff:127.1', valid: false, why: 'a shortened embedded IPv4 address' },
    { text: '::ffff:1.2.3.04', valid: false, why: 'a last embedded IPv4 octet with a leading zero' },
    { text: '203.0.113.7/32', valid: false, why: 'an address with a prefix' },
    { text: '2001:db8::/32', valid: false, why: 'an IPv6 block' },
    { text: 'fe80::1%eth0', valid: false, why: 'an IPv6 address with a zone' },
    { text: 'fe80::1%25eth0', valid: false, why: 'an IPv6 address with a URL-encoded zone' },
    { text: ' 203.0.113.7', valid: false, why: 'a leading space' },
    { text: '203.0.113.7\n', valid: false, why: 'a trailing newline' },
    { text: '[::1]', valid: false, why: 'a bracketed IPv6 address' },
    { text: 'localhost', valid: false, why: 'a host name' },
    { text: '', valid: false, why: 'an empty string' },
  ];

  for (const { text, valid, why } of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${why} (${JSON.stringify(text)})`, () => {
      assert.equal(isStrictIp(text), valid);
    });
  }
});

describe('isIpAllowed', () => {
  const cases: ReadonlyArray<{ ranges: string[]; ip: string; allowed: boolean; why: string }> = [
    { ranges: [], ip: '203.0.113.7', allowed: true, why: 'an IPv4 address when the list is empty' },
    { ranges: [], ip: '2001:db8::1', allowed: true, why: 'an IPv6 address when the list is empty' },
    { ranges: ['203.0.113.7'], ip: '203.0.113.7', allowed: true, why: 'the one IPv4 address listed' },
    { ranges: ['203.0.113.7'], ip: '203.0.113.8', allowed: false, why: 'the IPv4 address next to the one listed' },
    { ranges: ['203.0.113.0/24'], ip: '203.0.113.7', allowed: true, why: 'an IPv4 address inside a /24 block' },
    { ranges: ['203.0.113.0/24'], ip: '203.0.113.255', allowed: true, why: 'the last IPv4 address of a /24 block' },
    { ranges: ['203.0.113.0/24'], ip: '203.0.114.0', allowed: false, why: 'the first IPv4 address after a /24 block' },
    { ranges: ['203.0.113.0/24'], ip: '198.51.100.7', allowed: false, why: 'an IPv4 address outside a /24 block' },
    {
      ranges: ['198.51.100.0/24', '203.0.113.0/24'],
      ip: '203.0.113.7',
      allowed: true,
      why: 'an IPv4 address inside the second of two blocks',
    },
    { ranges: ['0.0.0.0/0'], ip: '198.51.100.7', allowed: true, why: 'any IPv4 address under 0.0.0.0/0' },
    { ranges: ['2001:db8::/32'], ip: '2001:db8:1234::1', allowed: true, why: 'an IPv6 address inside a /32 block' },
    { ranges: ['2001:db8::/32'], ip: '2001:db9::1', allowed: false, why: 'an IPv6 address outside a /32 block' },
    { ranges: ['2001:db8::1'], ip: '2001:DB8:0:0:0:0:0:1', allowed: true, why: 'the listed IPv6 address written another way' },
    { ranges: ['2001:db8::1'], ip: '2001:db8::2', allowed: false, why: 'another IPv6 address than the one listed' },
    { ranges: ['203.0.113.0/24'], ip: '::ffff:203.0.113.7', allowed: true, why: 'an IPv4-mapped IPv6 address inside an IPv4 block' },
    { ranges: ['203.0.113.0/24'], ip: '::ffff:198.51.100.7', allowed: false, why: 'an IPv4-mapped IPv6 address outside an IPv4 block' },
    { ranges: ['::ffff:203.0.113.0/120'], ip: '203.0.113.7', allowed: true, why: 'an IPv4 address inside an IPv4-mapped block' },
    { ranges: ['::/0'], ip: '203.0.113.7', allowed: false, why: 'an IPv4 address against an IPv6 range' },
    { ranges: ['::/0'], ip: '::ffff:203.0.113.7', allowed: false, why: 'an IPv4-mapped address against an IPv6 range' },
    { ranges: ['0.0.0.0/0'], ip: '2001:db8::1', allowed: false, why: 'an IPv6 address against an IPv4 range' },
    { ranges: ['0.0.0.0/0'], ip: '::', allowed: false, why: 'the IPv6 unspecified address against an IPv4 range' },
    { ranges: ['203.0.113.0/24'], ip: '203.0.113.07', allowed: false, why: 'a non-canonical address that would fall inside the block' },
    { ranges: ['127.0.0.0/8'], ip: '127.1', allowed: false, why: 'a shortened address that would fall inside the block' },
    { ranges: ['0.0.0.0/0'], ip: 'garbage', allowed: false, why: 'something that is not an address' },
    { ranges: ['fe80::/10'], ip: 'fe80::1%eth0', allowed: false, why: 'an address with a zone' },
    { ranges: ['127.0.0.0/8'], ip: '::ffff:0x7f.0.0.1', allowed: false, why: 'an IPv4-mapped address with a hexadecimal octet' },
  ];

  for (const { ranges, ip, allowed, why } of cases) {
    it(`${allowed ? 'allows' : 'refuses'} ${why} (${ip} against [${ranges.join(', ')}])`, () => {
      assert.equal(isIpAllowed(ipRanges(...ranges), ip), allowed);
    });
  }
});

describe('normaliseHostName', () => {
  const label63 = 'a'.repeat(63);
  /** 25 labels of 9 letters and one of 3, joined by dots: exactly 253 characters. */
  const name253 = `${Array.from({ length: 25 }, () => 'a'.repeat(9)).join('.')}.abc`;

  it('builds the 253-character fixture it relies on', () => {
    assert.equal(name253.length, 253);
  });

  const accepted: ReadonlyArray<{ text: string; normalised: string; why: string }> = [
    { text: 'report.acme.com', normalised: 'report.acme.com', why: 'a lower-case name as it is' },
    { text: 'Report.ACME.com', normalised: 'report.acme.com', why: 'a mixed-case name in lower case' },
    { text: 'report.acme.com.', normalised: 'report.acme.com', why: 'a name without its trailing dot' },
    { text: 'bücher.example', normalised: 'xn--bcher-kva.example', why: 'a Unicode name as punycode' },
    {
      text: 'Bücher.Example.',
      normalised: 'xn--bcher-kva.example',
      why: 'a mixed-case Unicode name with a trailing dot as lower-case punycode',
    },
    { text: 'xn--bcher-kva.example', normalised: 'xn--bcher-kva.example', why: 'a punycode name as it is' },
    { text: 'localhost', normalised: 'localhost', why: 'a single label' },
    { text: 'a-b.example', normalised: 'a-b.example', why: 'a label with an inner hyphen' },
    { text: '_service.example', normalised: '_service.example', why: 'a label with an underscore' },
    { text: `${label63}.example`, normalised: `${label63}.example`, why: 'a 63-character label' },
    { text: name253, normalised: name253, why: 'a 253-character name' },
  ];

  for (const { text, normalised, why } of accepted) {
    it(`gives ${why} (${JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}…` : text)})`, () => {
      assert.equal(normaliseHostName(text), normalised);
    });
  }

  it('gives one name for the Unicode and the punycode spelling', () => {
    assert.equal(normaliseHostName('bücher.example'), normaliseHostName('xn--bcher-kva.example'));
  });

  const rejected: ReadonlyArray<{ text: string; why: string }> = [
    { text: '', why: 'an empty string' },
    { text: '.', why: 'a lone dot' },
    { text: `${name253}d`, why: 'a 254-character name' },
    { text: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`, why: 'four 63-character labels (255 characters)' },
    { text: 'a..example', why: 'an empty label' },
    { text: '.example', why: 'a leading empty label' },
    { text: 'example..', why: 'two trailing dots' },
    { text: `${'a'.repeat(64)}.example`, why: 'a 64-character label' },
    { text: '-report.example', why: 'a label starting with a hyphen' },
    { text: 'report-.example', why: 'a label ending with a hyphen' },
    { text: 'report acme.com', why: 'an inner space' },
    { text: ' report.acme.com', why: 'a leading space' },
    { text: 'report.acme.com ', why: 'a trailing space' },
    { text: 'exam\tple.com', why: 'an inner tab' },
    { text: 'report.acme.com\n', why: 'a trailing newline' },
    { text: '%41.example', why: 'a percent-encoded character' },
    { text: '*', why: 'a lone asterisk' },
    { text: '*.example.com', why: 'a wildcard pattern' },
    { text: 'a*.example.com', why: 'an asterisk inside a label' },
    { text: 'report.acme.com/path', why: 'a path' },
    { text: 'report.acme.com?query', why: 'a query' },
    { text: 'report.acme.com#fragment', why: 'a fragment' },
    { text: 'report.acme.com\\path', why: 'a backslash' },
    { text: 'report.acme.com／path', why: 'a full-width solidus' },
    { text: 'report.acme.com:443', why: 'a port' },
    { text: 'user@report.acme.com', why: 'a user part' },
    { text: 'xn--a.example', why: 'invalid punycode' },
  ];

  for (const { text, why } of rejected) {
    it(`rejects ${why} (${JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}…` : text)})`, () => {
      assert.equal(normaliseHostName(text), null);
    });
  }
});

describe('normaliseDomainPattern', () => {
  const accepted: ReadonlyArray<{ text: string; normalised: string; why: string }> = [
    { text: 'report.acme.com', normalised: 'report.acme.com', why: 'an exact name' },
    { text: 'Report.ACME.com.', normalised: 'report.acme.com', why: 'an exact name in lower case without its trailing dot' },
    { text: '*.example.com', normalised: '*.example.com', why: 'a wildcard' },
    { text: '*.Example.COM', normalised: '*.example.com', why: 'a wildcard in lower case' },
    { text: '  *.example.com  ', normalised: '*.example.com', why: 'a wildcard with surrounding space, trimmed' },
    { text: '*.bücher.example', normalised: '*.xn--bcher-kva.example', why: 'a Unicode wildcard as punycode' },
  ];

  for (const { text, normalised, why } of accepted) {
    it(`gives ${why} (${JSON.stringify(text)})`, () => {
      assert.equal(normaliseDomainPattern(text), normalised);
    });
  }

  const rejected: ReadonlyArray<{ text: string; why: string }> = [
    { text: '*', why: 'a lone asterisk' },
    { text: '*.', why: 'a wildcard over nothing' },
    { text: '*example.com', why: 'an asterisk without its dot' },
    { text: '*.*.example.com', why: 'two wildcards' },
    { text: 'a.*.example.com', why: 'a wildcard in the middle' },
    { text: 'example.*', why: 'a wildcard at the end' },
    { text: '', why: 'an empty string' },
    { text: 'a..example', why: 'an empty label' },
  ];

  for (const { text, why } of rejected) {
    it(`rejects ${why} (${JSON.stringify(text)})`, () => {
      assert.equal(normaliseDomainPattern(text), null);
    });
  }
});

describe('isDomainAllowed', () => {
  const cases: ReadonlyArray<{ patterns: string[]; domain: string | undefined; allowed: boolean; why: string }> = [
    { patterns: [], domain: 'report.acme.com', allowed: true, why: 'any name when the list is empty' },
    { patterns: [], domain: undefined, allowed: true, why: 'a node without a domain when the list is empty' },
    { patterns: ['report.acme.com'], domain: undefined, allowed: false, why: 'a node without a domain against a non-empty list' },
    { patterns: ['report.acme.com'], domain: 'report.acme.com', allowed: true, why: 'the exact name listed' },
    { patterns: ['report.acme.com'], domain: 'REPORT.Acme.Com', allowed: true, why: 'the exact name in another case' },
    { patterns: ['report.acme.com'], domain: 'report.acme.com.', allowed: true, why: 'the exact name with a trailing dot' },
    { patterns: ['report.acme.com'], domain: 'other.acme.com', allowed: false, why: 'another name than the one listed' },
    { patterns: ['report.acme.com'], domain: 'a.report.acme.com', allowed: false, why: 'a subdomain of an exact name' },
    { patterns: ['*.example.com'], domain: 'a.example.com', allowed: true, why: 'a direct subdomain under a wildcard' },
    { patterns: ['*.example.com'], domain: 'a.b.example.com', allowed: true, why: 'a deeper subdomain under a wildcard' },
    { patterns: ['*.example.com'], domain: 'A.B.Example.COM', allowed: true, why: 'a subdomain in another case under a wildcard' },
    { patterns: ['*.Example.COM'], domain: 'a.example.com', allowed: true, why: 'a subdomain under a wildcard saved in another case' },
    { patterns: ['*.example.com'], domain: 'example.com', allowed: false, why: 'the wildcard base itself' },
    { patterns: ['*.example.com'], domain: 'badexample.com', allowed: false, why: 'a name that only ends with the same letters' },
    { patterns: ['*.example.com'], domain: 'a.badexample.com', allowed: false, why: 'a subdomain of a look-alike' },
    { patterns: ['*.example.com'], domain: 'example.com.evil.net', allowed: false, why: 'a name that starts with the base' },
    { patterns: ['bücher.example'], domain: 'xn--bcher-kva.example', allowed: true, why: 'the punycode spelling of a Unicode name listed' },
    { patterns: ['xn--bcher-kva.example'], domain: 'Bücher.example', allowed: true, why: 'the Unicode spelling of a punycode name listed' },
    {
      patterns: ['report.acme.com', '*.example.com'],
      domain: 'x.example.com',
      allowed: true,
      why: 'a name matching the second of two patterns',
    },
    { patterns: ['report.acme.com'], domain: '', allowed: false, why: 'an empty name against a non-empty list' },
    { patterns: ['*.example.com'], domain: 'a b.example.com', allowed: false, why: 'something that is not a host name' },
    { patterns: ['report.acme.com'], domain: 'report.acme.com/evil', allowed: false, why: 'the name listed followed by a path' },
  ];

  for (const { patterns, domain, allowed, why } of cases) {
    it(`${allowed ? 'allows' : 'refuses'} ${why} (${JSON.stringify(domain)} against [${patterns.join(', ')}])`, () => {
      assert.equal(isDomainAllowed(domainPatterns(...patterns), domain), allowed);
    });
  }
});

describe('isAppNameAllowed', () => {
  const cases: ReadonlyArray<{ allowed: string[]; appName: string; isAllowed: boolean; why: string }> = [
    { allowed: [], appName: 'webroot', isAllowed: true, why: 'any name when the list is empty' },
    { allowed: ['webroot'], appName: 'webroot', isAllowed: true, why: 'the exact name listed' },
    { allowed: ['reports', 'webroot'], appName: 'webroot', isAllowed: true, why: 'the second of two names' },
    { allowed: ['webroot'], appName: 'WebRoot', isAllowed: false, why: 'the name in another case (names are exact)' },
    { allowed: ['webroot'], appName: 'webroot2', isAllowed: false, why: 'a longer name starting with the one listed' },
    { allowed: ['webroot'], appName: 'web', isAllowed: false, why: 'a prefix of the name listed' },
    { allowed: ['webroot'], appName: ' webroot', isAllowed: false, why: 'the name with a leading space' },
  ];

  for (const { allowed, appName, isAllowed, why } of cases) {
    it(`${isAllowed ? 'allows' : 'refuses'} ${why} (${JSON.stringify(appName)} against [${allowed.join(', ')}])`, () => {
      assert.equal(isAppNameAllowed(allowed, appName), isAllowed);
    });
  }
});

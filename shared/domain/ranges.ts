import ipaddr from 'ipaddr.js';
import { domainToASCII } from 'node:url';

/**
 * Range checks for a node against an account's allowed IPs, domains and app
 * names. An empty list allows everything. Ranges are validated when staff
 * save them (`parseIpRange`, `normaliseDomainPattern`), so matching here
 * never throws for a stored range.
 */

type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface IpRange {
  address: ParsedAddress;
  prefixLength: number;
}

/** Accepts an address (`203.0.113.7`, `2001:db8::1`) or a CIDR block; returns null when it is neither. */
export function parseIpRange(text: string): IpRange | null {
  const trimmed = text.trim();
  const [addressText = '', prefixText, ...rest] = trimmed.split('/');
  if (rest.length > 0 || !isStrictIp(addressText)) return null;
  const address = ipaddr.parse(addressText);
  const width = address.kind() === 'ipv4' ? 32 : 128;
  const prefixLength = prefixText === undefined ? width : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? '0') || prefixLength > width) return null;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefixLength >= 96) {
    return { address: (address as ipaddr.IPv6).toIPv4Address(), prefixLength: prefixLength - 96 };
  }
  return { address, prefixLength };
}

/**
 * Only canonical textual forms: ipaddr.js alone would accept `1`, `0x7f.1`
 * or `010.0.0.1`, which no node sends and which hide what is being allowed.
 */
export function isStrictIp(text: string): boolean {
  if (text.includes('%') || text.includes('/')) return false;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return true;
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return false;
  // ipaddr.js reads an embedded IPv4 tail as leniently as a bare one (`::ffff:0x7f.0.0.1`).
  const tail = text.slice(text.lastIndexOf(':') + 1);
  return !tail.includes('.') || ipaddr.IPv4.isValidFourPartDecimal(tail);
}

/** `::ffff:203.0.113.7` is the IPv4 node behind a dual-stack socket: match it as IPv4. */
function unmapIpv4(address: ParsedAddress): ParsedAddress {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

export function isIpAllowed(ranges: readonly IpRange[], ip: string): boolean {
  if (ranges.length === 0) return true;
  if (!isStrictIp(ip)) return false;
  const address = unmapIpv4(ipaddr.parse(ip));
  return ranges.some((range) => range.address.kind() === address.kind() && address.match(range.address, range.prefixLength));
}

/**
 * What a host name may be written with before IDNA: letters, marks and digits
 * of any script, `.`, `-` and `_`. domainToASCII runs the URL host parser,
 * which would cut `a.com/x` (or at `?`, `#`, `\`) down to `a.com`, drop tabs
 * and newlines, decode `%41`, and turn emoji into punycode: each would make a
 * non-name into a name.
 */
const HOST_NAME_CHARACTERS = /^[\p{L}\p{M}\p{N}._-]+$/u;

/**
 * Host names compare in their ASCII (punycode) form, lower case, without a
 * trailing dot, so `Bücher.example` and `xn--bcher-kva.example` are one name.
 * Returns null for anything that is not a host name.
 */
export function normaliseHostName(text: string): string | null {
  if (text.length === 0 || text.length > 253 || !HOST_NAME_CHARACTERS.test(text)) return null;
  const ascii = domainToASCII(text.endsWith('.') ? text.slice(0, -1) : text);
  if (ascii.length === 0 || ascii.length > 253) return null;
  const labels = ascii.split('.');
  return labels.every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label)) ? ascii : null;
}

/** `*.example.com` or an exact host name, normalised; null when invalid. */
export function normaliseDomainPattern(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('*.')) {
    const base = normaliseHostName(trimmed.slice(2));
    return base === null ? null : `*.${base}`;
  }
  return normaliseHostName(trimmed);
}

/** `*.example.com` matches subdomains at any depth, never `example.com` itself. */
export function isDomainAllowed(patterns: readonly string[], domain: string | undefined): boolean {
  if (patterns.length === 0) return true;
  if (domain === undefined) return false;
  const host = normaliseHostName(domain);
  if (host === null) return false;
  return patterns.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern));
}

export function isAppNameAllowed(allowed: readonly string[], appName: string): boolean {
  return allowed.length === 0 || allowed.includes(appName);
}

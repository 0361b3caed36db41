import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as resolveAll } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from '#shared/domain/webhooks';

/**
 * Where a webhook may be sent (SSRF): http(s) only, to a host whose every
 * address is public. Checked at creation (`checkWebhookTarget`) and again at
 * delivery on the address actually connected to (`publicOnlyLookup`, given
 * to the http(s) Agent), unless WEBHOOK_ALLOW_PRIVATE_TARGETS lets local
 * receivers in.
 */
export type TargetProblem = { kind: 'invalid'; message: string } | { kind: 'refused'; message: string };

/** The host of a URL as DNS and `net` want it: IPv6 literals lose their brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export function parseWebhookUrl(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

export async function checkWebhookTarget(text: string, options: { isPrivateAllowed: boolean }): Promise<TargetProblem | null> {
  const url = parseWebhookUrl(text);
  if (!url) return { kind: 'invalid', message: 'must be an http: or https: URL' };
  // The contract lifts both refusals with the setting: a local receiver's name may resolve only where the worker runs.
  if (options.isPrivateAllowed) return null;
  const host = hostOf(url);
  let addresses: string[];
  try {
    addresses = isIP(host) === 0 ? (await resolveAll(host, { all: true })).map((entry) => entry.address) : [host];
  } catch {
    return { kind: 'refused', message: `the host ${host} does not resolve` };
  }
  const blocked = addresses.find((address) => !isPublicAddress(address));
  return blocked === undefined
    ? null
    : { kind: 'refused', message: `the host ${host} resolves to ${blocked}, which is not a public address` };
}

export class BlockedAddress extends Error {
  readonly code = 'WEBHOOK_TARGET_BLOCKED';
  constructor(host: string, address: string) {
    super(`${host} resolved to ${address}, which is not a public address`);
    this.name = 'BlockedAddress';
  }
}

/**
 * A `lookup` for http.Agent that refuses to connect anywhere but public
 * addresses: the check runs on what DNS answers at connection time, so a
 * name that changed since creation (DNS rebinding) cannot reach inside.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    if (blocked) {
      callback(new BlockedAddress(hostname, blocked.address), '', 0);
      return;
    }
    const first = addresses[0];
    if (options.all === true) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    else if (first) callback(null, first.address, first.family);
    else callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
  });
};

/** An IP literal in a URL never reaches `lookup`: the sender checks it itself. */
export function literalAddressOf(url: URL): string | null {
  const host = hostOf(url);
  return isIP(host) === 0 ? null : host;
}

import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { Config } from '#shared/config/env';

/** Whether the hop at `address`, `hop` steps from us, is a proxy whose X-Forwarded-For we believe. */
export type Trust = (address: string, hop: number) => boolean;

/** The caller's address under TRUST_PROXY: the throttling key, and what attempts and audit entries record. */
export interface SourceAddresses {
  /** For express's `trust proxy` setting, so what express derives from it (req.ip, req.secure) agrees. */
  readonly trust: Trust;
  of(req: IncomingMessage): string;
}

/**
 * TRUST_PROXY compiled once, as express compiles its `trust proxy` setting
 * (true: every hop; a number: that many hops; otherwise a comma-separated list
 * of addresses, ranges and proxy-addr's names such as `loopback`), and the
 * address proxy-addr, express's own resolver, finds under it. Resolved from
 * Node's request alone, so routes served past express (direct-routes.ts) get
 * the same answer as req.ip.
 */
export function sourceAddresses(setting: Config['trustProxy']): SourceAddresses {
  const trust: Trust =
    setting === true
      ? () => true
      : typeof setting === 'number'
        ? (_address, hop) => hop < setting
        : proxyAddr.compile(setting === false ? [] : setting.split(',').map((entry) => entry.trim()));
  return { trust, of: (req) => proxyAddr(req, trust) };
}

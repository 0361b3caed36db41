import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import { compileTrust, type Trust, type TrustProxySetting } from '#shared/config/trust-proxy';

/** The caller's address under TRUST_PROXY: the throttling key, and what attempts and audit entries record. */
export interface SourceAddresses {
  /** For express's `trust proxy` setting, so what express derives from it (req.ip, req.secure) agrees. */
  readonly trust: Trust;
  of(req: IncomingMessage): string;
}

/**
 * TRUST_PROXY compiled once (shared/config/trust-proxy.ts), and the address
 * proxy-addr, express's own resolver, finds under it. Resolved from Node's
 * request alone, so routes served past express (direct-routes.ts) get the
 * same answer as req.ip.
 */
export function sourceAddresses(setting: TrustProxySetting): SourceAddresses {
  const trust = compileTrust(setting);
  return {
    trust,
    of: (req) => {
      // proxy-addr's types promise a string; a socket gone before its peer was read has no address.
      const address = proxyAddr(req, trust) as string | undefined;
      return address ?? 'unknown';
    },
  };
}

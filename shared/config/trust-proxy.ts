import proxyAddr from 'proxy-addr';

/** TRUST_PROXY as parsed: `true`/`false`, a hop count, or a comma-separated list. */
export type TrustProxySetting = boolean | number | string;

/** Whether the hop at `address`, `hop` steps from us, is a proxy whose X-Forwarded-For we believe. */
export type Trust = (address: string, hop: number) => boolean;

/** The forms express's `trust proxy` setting takes. */
export function parseTrustProxy(value: string): TrustProxySetting {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * The setting compiled as express compiles `trust proxy` (true: every hop; a
 * number: that many hops; otherwise addresses, subnets and proxy-addr's
 * names such as `loopback`); throws on an entry proxy-addr does not know.
 */
export function compileTrust(setting: TrustProxySetting): Trust {
  if (setting === true) return () => true;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyAddr.compile(setting === false ? [] : setting.split(',').map((entry) => entry.trim()));
}

export function isTrustProxy(value: string): boolean {
  try {
    compileTrust(parseTrustProxy(value));
    return true;
  } catch {
    return false;
  }
}

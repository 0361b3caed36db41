import type { Gauge } from 'prom-client';
import { pingMysql, type Pool } from './mysql/pool';
import { pingRedis, type RedisClient } from './redis/client';

export type StoreName = 'redis' | 'mysql' | 'mysql_replica';
export type StoreState = 'up' | 'down' | 'unknown';

/**
 * Whether this process reaches each of its stores, pinged every
 * STORE_PING_INTERVAL_MS and published as `regcloud_store_up{store}` (1 up,
 * 0 down). It is for metrics, alerts and the body of /readyz only: readiness
 * never depends on it, because a store outage with every pod out of the
 * Service is a total outage, while verifications would still be answered
 * from the other store.
 */
export interface StoreHealth {
  /** The last ping's answer per store; `unknown` before the first. */
  states(): Record<string, StoreState>;
  /** One round of pings now (tests; the timer calls it too). Overlapping rounds are skipped. */
  check(): Promise<void>;
  close(): void;
}

export function watchStores(options: {
  stores: Partial<Record<StoreName, RedisClient | Pool>>;
  gauge: Gauge<'store'>;
  intervalMs: number;
}): StoreHealth {
  const entries = Object.entries(options.stores) as Array<[StoreName, RedisClient | Pool]>;
  const states: Record<string, StoreState> = Object.fromEntries(entries.map(([name]) => [name, 'unknown']));
  // A ping that has not answered within the interval counts as down: a hung store must not hold the next round back.
  const timeoutMs = options.intervalMs;
  const ping = (name: StoreName, client: RedisClient | Pool): Promise<void> =>
    name === 'redis' ? pingRedis(client as RedisClient) : pingMysql(client as Pool);
  let running: Promise<void> | undefined;

  const round = async () => {
    await Promise.all(
      entries.map(async ([name, client]) => {
        let timer: NodeJS.Timeout | undefined;
        const isUp = await Promise.race([
          ping(name, client).then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        states[name] = isUp ? 'up' : 'down';
        options.gauge.set({ store: name }, isUp ? 1 : 0);
      }),
    );
  };
  const check = () => {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  };
  const interval = setInterval(() => void check(), options.intervalMs);
  interval.unref();
  void check();
  return {
    states: () => ({ ...states }),
    check,
    close: () => clearInterval(interval),
  };
}

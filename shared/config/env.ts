import { createPrivateKey } from 'node:crypto';
import { isTrustProxy, parseTrustProxy, type TrustProxySetting } from './trust-proxy';
import { z } from 'zod';

/**
 * The whole configuration, read from the environment once at start-up. Every
 * setting has a documented default (README, "Configuration") except
 * TOKEN_SECRET and LEASE_SIGNING_KEY, which are generated on first start and
 * kept in MySQL when not given. Every problem is listed at once, then the process stops.
 */
const integer = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** A comma list of delays in seconds (fractions allowed, so tests can retry within milliseconds). */
const delayList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const delays = text.split(',').map((part) => Number(part.trim()));
      if (text.trim() === '' || delays.some((delay) => !Number.isFinite(delay) || delay <= 0 || delay > 7 * 86_400)) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma list of delays in seconds, each above 0 and at most 604800' });
        return z.NEVER;
      }
      return delays;
    });

const schema = z
  .object({
    PORT: integer(8080, 0, 65535),
    HOST: z.string().min(1).default('0.0.0.0'),
    HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 100, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: integer(30_000, 100, 3_600_000),
    // Node announces it in whole seconds (`Keep-Alive: timeout=…`): below 1 s that says 0.
    HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(5_000, 1000, 600_000),
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    ADMIN_PORT: integer(8081, 0, 65535),
    ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
    ADMIN_INSECURE_COOKIES: z.enum(['true', 'false', '1', '0']).optional(),
    ADMIN_SESSION_IDLE_MINUTES: integer(30, 1, 24 * 60),
    ADMIN_SESSION_MAX_HOURS: integer(12, 1, 24 * 30),
    ADMIN_THROTTLE_PAIR_LIMIT: integer(10, 1, 1_000_000),
    ADMIN_THROTTLE_PAIR_WINDOW_SECONDS: integer(900, 1, 86_400),
    ADMIN_THROTTLE_EMAIL_LIMIT: integer(50, 1, 1_000_000),
    ADMIN_THROTTLE_EMAIL_WINDOW_SECONDS: integer(3600, 1, 86_400),
    ADMIN_THROTTLE_ADDRESS_LIMIT: integer(50, 1, 1_000_000),
    ADMIN_THROTTLE_ADDRESS_WINDOW_SECONDS: integer(900, 1, 86_400),
    MYSQL_URL: z.url({ protocol: /^mysql$/ }).default('mysql://root@127.0.0.1:3306/regcloud'),
    MYSQL_POOL_SIZE: integer(10, 1, 500),
    MYSQL_CONNECT_TIMEOUT_MS: integer(5000, 100, 120_000),
    MYSQL_QUERY_TIMEOUT_MS: integer(5000, 100, 600_000),
    // Optional: reads that may lag (staff lists and searches, attempts, audit) go there; unset, to MYSQL_URL.
    MYSQL_REPLICA_URL: z.url({ protocol: /^mysql$/ }).optional(),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379/0'),
    // Comma-separated host:port seeds of a Redis Cluster; when set it wins over REDIS_URL.
    REDIS_CLUSTER_NODES: z
      .string()
      .default('')
      .transform((text, ctx) => {
        const seeds = text
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '');
        const parsed: Array<{ host: string; port: number }> = [];
        for (const seed of seeds) {
          const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(seed);
          const port = Number(match?.[2]);
          if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
            ctx.addIssue({ code: 'custom', message: `"${seed}" is not host:port` });
            continue;
          }
          parsed.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
        }
        return parsed;
      }),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/)
      .default('rc:'),
    REDIS_COMMAND_TIMEOUT_MS: integer(1000, 50, 60000),
    BCRYPT_COST: integer(10, 4, 15),
    TOKEN_SECRET: z.string().min(32).optional(),
    LEASE_SECONDS: integer(259_200, 60, 30 * 86_400),
    LEASE_SIGNING_KEY: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUST_PROXY: z
      .string()
      .default('false')
      .refine(
        isTrustProxy,
        'true, false, a hop count, or a comma-separated list of addresses, subnets and loopback, linklocal, uniquelocal',
      ),
    MIGRATE_ON_START: boolean(true),
    NODE_ENV: z.string().default('development'),
    // Its default depends on NODE_ENV (see loadConfig), so it has none here.
    SEED_DEMO_ACCOUNT: z.enum(['true', 'false', '1', '0']).optional(),
    THROTTLE_PAIR_LIMIT: integer(10, 1, 1_000_000),
    THROTTLE_PAIR_WINDOW_SECONDS: integer(900, 1, 86_400),
    THROTTLE_ADDRESS_LIMIT: integer(50, 1, 1_000_000),
    THROTTLE_ADDRESS_WINDOW_SECONDS: integer(900, 1, 86_400),
    THROTTLE_ACCOUNT_LIMIT: integer(100, 1, 1_000_000),
    THROTTLE_ACCOUNT_WINDOW_SECONDS: integer(3600, 1, 86_400),
    THROTTLE_TRUSTED_ADDRESS_DAYS: integer(30, 1, 365),
    THROTTLE_NEW_ADDRESS_LIMIT: integer(3, 0, 1_000),
    LOGIN_COMPARES_PER_ACCOUNT: integer(4, 1, 1_000),
    LAST_SEEN_PERSIST_SECONDS: integer(600, 1, 86_400),
    ATTEMPTS_KEPT_PER_ACCOUNT: integer(100, 1, 10_000),
    ATTEMPTS_KEPT_DAYS: integer(30, 1, 3650),
    SHUTDOWN_GRACE_MS: integer(10_000, 0, 600_000),
    SHUTDOWN_DRAIN_MS: integer(0, 0, 600_000),
    STORE_PING_INTERVAL_MS: integer(5000, 50, 600_000),
    RECONCILE_INTERVAL_SECONDS: integer(60, 1, 86_400),
    WORKER_METRICS_PORT: integer(9465, 0, 65535),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: boolean(false),
    WEBHOOK_RETRY_SECONDS: delayList('5,300,1800,7200,18000,36000,50400,72000,86400'),
    WEBHOOK_EXPIRY_NOTICE_DAYS: integer(30, 1, 3650),
  })
  .superRefine((e, ctx) => {
    // Node refuses to start a server whose headers may take longer than the whole request.
    if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS' });
    }
    if (e.NODE_ENV === 'production' && (e.SEED_DEMO_ACCOUNT === 'true' || e.SEED_DEMO_ACCOUNT === '1')) {
      ctx.addIssue({
        code: 'custom',
        path: ['SEED_DEMO_ACCOUNT'],
        message: 'the demo account has a published password: it is never created when NODE_ENV=production',
      });
    }
    if (e.LEASE_SIGNING_KEY !== undefined && !isEd25519Pem(readPem(e.LEASE_SIGNING_KEY))) {
      ctx.addIssue({ code: 'custom', path: ['LEASE_SIGNING_KEY'], message: 'must be an Ed25519 private key as PKCS#8 PEM' });
    }
    if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
    }
  });

export type Env = z.infer<typeof schema>;

/** Every variable the configuration reads: deployment files are checked against this list. */
export const ENV_VARIABLES: readonly string[] = Object.freeze(Object.keys(schema.shape));

export interface Config {
  port: number;
  host: string;
  /** Limits of the API's HTTP servers (shared/http/node-server.ts). */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number };
  /** The port of a second server that alone answers /metrics; undefined keeps /metrics on `port`. */
  metricsPort: number | undefined;
  /** The staff service (services/admin): its own port, loopback unless an operator says otherwise. */
  admin: {
    port: number;
    host: string;
    /** Cookies without `Secure`, for plain HTTP on loopback; defaults on exactly when `host` is a loopback address. */
    isInsecureCookies: boolean;
    sessionIdleMs: number;
    sessionMaxMs: number;
    /** Failed staff logins: per email and address, per email (addresses it logged in from excepted), per address. */
    throttle: Config['throttle'];
  };
  mysqlUrl: string;
  mysqlPoolSize: number;
  /** Every pool's (shared/storage/mysql/pool.ts): opening a connection, and one statement. */
  mysqlTimeouts: { connectMs: number; queryMs: number };
  /** A replica for reads that may lag (shared/storage/mysql/replica.ts); undefined reads them from `mysqlUrl`. */
  mysqlReplicaUrl: string | undefined;
  redisUrl: string;
  /** Seeds of a Redis Cluster; empty means one server at `redisUrl`. */
  redisClusterNodes: ReadonlyArray<{ host: string; port: number }>;
  redisKeyPrefix: string;
  redisCommandTimeoutMs: number;
  bcryptCost: number;
  tokenSecret: string | undefined;
  /** Signed leases: how long one lasts (capped by the certificate's expiry day), and the signing key when given (PKCS#8 PEM). */
  leases: { leaseSeconds: number; signingKeyPem: string | undefined };
  logLevel: Env['LOG_LEVEL'];
  trustProxy: TrustProxySetting;
  migrateOnStart: boolean;
  seedDemoAccount: boolean;
  throttle: {
    pair: { limit: number; windowSeconds: number };
    address: { limit: number; windowSeconds: number };
    account: { limit: number; windowSeconds: number };
    /** Attempts an address that has not failed for the account gets while the account-wide limit is reached. */
    newcomerLimit: number;
    trustedAddressSeconds: number;
  };
  /** Password checks of one account in flight at once in one process; more wait their turn. */
  loginComparesPerAccount: number;
  lastSeenPersistSeconds: number;
  /** Retention of the attempts support reads: per account, this many whose credentials failed and as many whose credentials passed, none older than `keptDays`. */
  attempts: { keptPerAccount: number; keptDays: number };
  shutdownGraceMs: number;
  /** After SIGTERM, how long the API and the staff service keep serving while /readyz answers 503, before they stop accepting. */
  shutdownDrainMs: number;
  /** How often each service pings Redis and MySQL for `regcloud_store_up` (readiness does not depend on it). */
  storePingIntervalMs: number;
  /** How often the worker compares the accounts loaded in Redis with the ledger (services/worker). */
  reconcileIntervalSeconds: number;
  /** The worker's own HTTP server (same `host`): `/metrics` and its liveness `/healthz`. */
  workerMetricsPort: number;
  webhooks: {
    /** Lets endpoints (and deliveries) reach loopback and private addresses: local receivers, tests. */
    isPrivateAllowed: boolean;
    /** The delay before each retry of a failed delivery, in seconds: N delays make N + 1 attempts. */
    retryDelaysSeconds: readonly number[];
    /** account.expiring is announced daily while the certificate expires within this many days. */
    expiryNoticeDays: number;
  };
}

/** A MYSQL_URL that names no database gets the default one, `regcloud`. */
function withDefaultDatabase(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/regcloud';
  return parsed.toString();
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A PEM given in one line (as many secret stores hold it) has its newlines as `\\n`. */
function readPem(value: string): string {
  return value.includes('\n') ? value : value.replaceAll('\\n', '\n');
}

function isEd25519Pem(pem: string): boolean {
  try {
    return createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    http: Object.freeze({
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    }),
    metricsPort: e.METRICS_PORT,
    admin: Object.freeze({
      port: e.ADMIN_PORT,
      host: e.ADMIN_HOST,
      isInsecureCookies:
        e.ADMIN_INSECURE_COOKIES === undefined
          ? isLoopbackHost(e.ADMIN_HOST)
          : e.ADMIN_INSECURE_COOKIES === 'true' || e.ADMIN_INSECURE_COOKIES === '1',
      sessionIdleMs: e.ADMIN_SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs: e.ADMIN_SESSION_MAX_HOURS * 3_600_000,
      throttle: Object.freeze({
        pair: { limit: e.ADMIN_THROTTLE_PAIR_LIMIT, windowSeconds: e.ADMIN_THROTTLE_PAIR_WINDOW_SECONDS },
        address: { limit: e.ADMIN_THROTTLE_ADDRESS_LIMIT, windowSeconds: e.ADMIN_THROTTLE_ADDRESS_WINDOW_SECONDS },
        account: { limit: e.ADMIN_THROTTLE_EMAIL_LIMIT, windowSeconds: e.ADMIN_THROTTLE_EMAIL_WINDOW_SECONDS },
        // The contract's staff limits are exact: no extra attempts for new addresses.
        newcomerLimit: 0,
        trustedAddressSeconds: e.THROTTLE_TRUSTED_ADDRESS_DAYS * 86_400,
      }),
    }),
    mysqlUrl: withDefaultDatabase(e.MYSQL_URL),
    mysqlPoolSize: e.MYSQL_POOL_SIZE,
    mysqlTimeouts: Object.freeze({ connectMs: e.MYSQL_CONNECT_TIMEOUT_MS, queryMs: e.MYSQL_QUERY_TIMEOUT_MS }),
    mysqlReplicaUrl: e.MYSQL_REPLICA_URL === undefined ? undefined : withDefaultDatabase(e.MYSQL_REPLICA_URL),
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    bcryptCost: e.BCRYPT_COST,
    tokenSecret: e.TOKEN_SECRET,
    leases: Object.freeze({
      leaseSeconds: e.LEASE_SECONDS,
      signingKeyPem: e.LEASE_SIGNING_KEY === undefined ? undefined : readPem(e.LEASE_SIGNING_KEY),
    }),
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    migrateOnStart: e.MIGRATE_ON_START,
    seedDemoAccount:
      e.SEED_DEMO_ACCOUNT === undefined ? e.NODE_ENV !== 'production' : e.SEED_DEMO_ACCOUNT === 'true' || e.SEED_DEMO_ACCOUNT === '1',
    throttle: Object.freeze({
      pair: { limit: e.THROTTLE_PAIR_LIMIT, windowSeconds: e.THROTTLE_PAIR_WINDOW_SECONDS },
      address: { limit: e.THROTTLE_ADDRESS_LIMIT, windowSeconds: e.THROTTLE_ADDRESS_WINDOW_SECONDS },
      account: { limit: e.THROTTLE_ACCOUNT_LIMIT, windowSeconds: e.THROTTLE_ACCOUNT_WINDOW_SECONDS },
      newcomerLimit: e.THROTTLE_NEW_ADDRESS_LIMIT,
      trustedAddressSeconds: e.THROTTLE_TRUSTED_ADDRESS_DAYS * 86_400,
    }),
    loginComparesPerAccount: e.LOGIN_COMPARES_PER_ACCOUNT,
    lastSeenPersistSeconds: e.LAST_SEEN_PERSIST_SECONDS,
    attempts: Object.freeze({ keptPerAccount: e.ATTEMPTS_KEPT_PER_ACCOUNT, keptDays: e.ATTEMPTS_KEPT_DAYS }),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    storePingIntervalMs: e.STORE_PING_INTERVAL_MS,
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    webhooks: Object.freeze({
      isPrivateAllowed: e.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      retryDelaysSeconds: Object.freeze(e.WEBHOOK_RETRY_SECONDS),
      expiryNoticeDays: e.WEBHOOK_EXPIRY_NOTICE_DAYS,
    }),
  });
}

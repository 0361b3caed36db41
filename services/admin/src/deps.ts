import { userInfo } from 'node:os';
import type { Config } from '#shared/config/env';
import { createLogger } from '#shared/log/logger';
import { createMetrics } from '#shared/metrics/registry';
import { LEASE_KEYS_RELOAD_SECONDS } from '#shared/security/leases';
import { createPasswords, type Passwords } from '#shared/security/passwords';
import { createBindingStore, type BindingStore } from '#shared/storage/binding-store';
import { createAccountDirectory, type AccountDirectory } from '#shared/storage/mysql/account-directory';
import { createAccounts, type Accounts } from '#shared/storage/mysql/accounts';
import { createAuditLog, type AuditLog } from '#shared/storage/mysql/audit';
import { createBindings, type Bindings } from '#shared/storage/mysql/bindings';
import { createLeaseKeys } from '#shared/storage/mysql/lease-keys';
import { createPool } from '#shared/storage/mysql/pool';
import { createStaffDirectory, type StaffDirectory } from '#shared/storage/mysql/staff';
import { connectRedis, redisTargetOf, type RedisClient } from '#shared/storage/redis/client';
import { createScripts } from '#shared/storage/redis/scripts';

/** The one place that builds the staff CLI's pool, Redis client, scripts and repositories. */
export interface AdminDeps {
  /** Who the audit log names for this process's changes. */
  actor: string;
  accounts: Accounts;
  bindings: Bindings;
  directory: AccountDirectory;
  auditLog: AuditLog;
  staff: StaffDirectory;
  hashPassword(password: string): Promise<string>;
  /** After a committed change: every API process reloads the account from MySQL on its next request. */
  invalidate(accountId: number, revision: number): Promise<void>;
  /** keys:rotate: a new lease signing key; the old one stays published for LEASE_SECONDS plus the API's reload interval. */
  rotateLeaseKey(): Promise<{ kid: string; previous: { kid: string; visibleUntil: string } | null }>;
  /** LEASE_SIGNING_KEY is set: the keys in MySQL are not the ones in use. */
  isLeaseKeyGiven: boolean;
  close(): Promise<void>;
}

/** `os.userInfo()` throws for a uid without a passwd entry (common in containers). */
function currentActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `cli:${user}`.slice(0, 128);
}

/** Memoises a start-up step so it runs on first use only, and at most once. */
function once<T>(start: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => (started ??= start());
}

export function createAdminDeps(config: Readonly<Config>): AdminDeps {
  // One command at a time: a few connections are plenty, whatever the API's pool size.
  const pool = createPool({
    url: config.mysqlUrl,
    size: Math.min(config.mysqlPoolSize, 4),
    connectTimeoutMs: config.mysqlTimeouts.connectMs,
    queryTimeoutMs: config.mysqlTimeouts.queryMs,
  });
  const bindings = createBindings(pool);

  // Redis is connected only when a change must be propagated: reads work
  // without it, and a change still commits to MySQL (the source of truth)
  // when Redis is down, the invalidation then failing loudly.
  let redis: RedisClient | undefined;
  const bindingStore = once(async (): Promise<BindingStore> => {
    redis = await connectRedis({
      target: redisTargetOf(config),
      commandTimeoutMs: config.redisCommandTimeoutMs,
      name: 'regcloud-admin-cli',
    });
    return createBindingStore({
      scripts: createScripts(redis),
      bindings,
      keyPrefix: config.redisKeyPrefix,
      metrics: createMetrics(),
      // stdout carries the command's JSON; the CLI reports failures on stderr itself.
      logger: createLogger({ level: 'silent', name: 'regcloud-admin-cli' }),
      now: Date.now,
    });
  });
  // Hashing needs a Passwords (and its start-up decoy hash) only for commands that set a password.
  const passwords = once((): Promise<Passwords> => createPasswords(config.bcryptCost));

  return {
    actor: currentActor(),
    accounts: createAccounts(pool),
    bindings,
    directory: createAccountDirectory(pool),
    auditLog: createAuditLog(pool),
    staff: createStaffDirectory(pool),
    hashPassword: async (password) => (await passwords()).hash(password),
    invalidate: async (accountId, revision) => (await bindingStore()).invalidate(accountId, revision),
    // A process that has not reloaded yet may still sign with the old key: it stays published that much longer.
    rotateLeaseKey: () =>
      createLeaseKeys(pool, { now: () => new Date() }).rotate(config.leases.leaseSeconds + LEASE_KEYS_RELOAD_SECONDS + 60),
    isLeaseKeyGiven: config.leases.signingKeyPem !== undefined,
    async close() {
      redis?.disconnect();
      await pool.end();
    },
  };
}

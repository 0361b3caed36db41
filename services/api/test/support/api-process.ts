import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '#shared/paths';
import { getFreePort } from '#shared/testing/free-port';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL, runRedisEnv } from '#shared/testing/test-environment';

/** A real API process (the compiled main.js), as a load balancer would see it. */
export interface ApiProcess {
  url: string;
  /** False once the process has exited (a crash included). */
  isRunning(): boolean;
  /** SIGTERM, then the exit code once the process is gone. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash: nothing is flushed or answered. */
  kill(): Promise<void>;
}

/**
 * This run's stores, for a process that needs no private one; the database is
 * already migrated. A function: a cluster pass knows its Redis only once the
 * root hooks have started it.
 */
export function runStoresEnv(): Readonly<Record<string, string>> {
  return storesEnv(runRedisEnv());
}

/** The same for a process on a private redis-server (fault tests), whatever mode this run's Redis is in. */
export function privateRedisEnv(redisUrl: string): Readonly<Record<string, string>> {
  return storesEnv({ REDIS_URL: redisUrl });
}

function storesEnv(redis: Record<string, string>): Readonly<Record<string, string>> {
  return {
    MYSQL_URL: RUN_MYSQL_URL,
    ...redis,
    REDIS_KEY_PREFIX: RUN_KEY_PREFIX,
    BCRYPT_COST: '4',
    MIGRATE_ON_START: 'false',
    SEED_DEMO_ACCOUNT: 'false',
  };
}

const MAIN = path.join(REPO_ROOT, 'dist', 'services', 'api', 'src', 'main.js');

export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    // Stores pinged often: tests wait on /readyz's `stores` for a store to be back.
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'error', STORE_PING_INTERVAL_MS: '200', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`API process exited with ${child.exitCode} before listening`);
    const isUp = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (isUp) break;
    if (attempt > 200) throw new Error('API process did not listen within 20 s');
    await sleep(100);
  }
  return {
    url,
    isRunning: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** True once /readyz says the process reaches both stores again (readiness itself does not wait for them). */
export async function reachesBothStores(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`);
    const body = (await response.json()) as { stores?: { redis?: string; mysql?: string } };
    return response.status === 200 && body.stores?.redis === 'up' && body.stores.mysql === 'up';
  } catch {
    return false;
  }
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

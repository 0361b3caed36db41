import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '#shared/testing/free-port';
import { API_MAIN, RESULTS_DIR, TOKEN_SECRET, type Namespace } from '../settings';
import { logOutput, stopChild, waitForHttp } from './child';

/**
 * The API under test, started exactly as production starts it
 * (`node dist/services/api/src/main.js`) with the load namespace's stores.
 * It applies the migrations itself; the demo account stays off so the load
 * database holds seeded accounts only.
 */
export interface ApiProcess {
  url: string;
  pid: number;
  /** Where the profile lands when started with `cpuProfileDir`. */
  cpuProfileDir: string | null;
  stop(): Promise<void>;
}

/** The environment the API runs with; the seeder and the bcrypt ceiling read their settings from the same one. */
export function apiEnvironment(ns: Namespace, port: number): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    MYSQL_URL: ns.mysqlUrl,
    REDIS_URL: ns.redisUrl,
    REDIS_CLUSTER_NODES: ns.redisClusterNodes,
    REDIS_KEY_PREFIX: ns.keyPrefix,
    LOG_LEVEL: 'warn',
    SEED_DEMO_ACCOUNT: 'false',
    TOKEN_SECRET,
    ...(process.env.BCRYPT_COST ? { BCRYPT_COST: process.env.BCRYPT_COST } : {}),
  };
}

export async function startApi(ns: Namespace, options: { cpuProfileDir?: string } = {}): Promise<ApiProcess> {
  const port = await getFreePort();
  const flags: string[] = [];
  if (options.cpuProfileDir) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  }
  const child: ChildProcess = spawn(process.execPath, [...flags, API_MAIN], {
    env: { ...process.env, ...apiEnvironment(ns, port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  logOutput(child, path.join(RESULTS_DIR, 'logs', `api-${port}.log`));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(child, `${url}/readyz`, (status) => status === 200);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  if (child.pid === undefined) throw new Error('the API process has no pid');
  return { url, pid: child.pid, cpuProfileDir: options.cpuProfileDir ?? null, stop: () => stopChild(child) };
}

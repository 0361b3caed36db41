import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '#shared/paths';
import { getFreePort } from '#shared/testing/free-port';
import { RUN_MYSQL_URL, SHARED_REDIS } from '#shared/testing/test-environment';

const WORKER_MAIN = path.join(REPO_ROOT, 'dist', 'services', 'worker', 'src', 'main.js');

/** A real worker process (the compiled main.js) on this run's stores, once its /healthz answers. */
export async function startWorkerProcess(
  env: { REDIS_KEY_PREFIX: string } & Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const port = await getFreePort();
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      MYSQL_URL: RUN_MYSQL_URL,
      REDIS_URL: SHARED_REDIS,
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      WORKER_METRICS_PORT: String(port),
      MIGRATE_ON_START: 'false',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${String(child.exitCode)}`);
    const answer = await fetch(`http://127.0.0.1:${String(port)}/healthz`).catch(() => undefined);
    if (answer?.status === 200) return { child, port };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the worker did not answer /healthz within 20 s');
    }
    await sleep(50);
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { getFreePort } from '#shared/testing/free-port';
import { RESULTS_DIR, WORKER_MAIN, type Namespace } from '../settings';
import { apiEnvironment } from './api';
import { logOutput, stopChild, waitForHttp } from './child';

/** The worker, started as production starts it, on the load namespace's stores; webhooks may reach the local receiver. */
export interface WorkerProcess {
  pid: number;
  stop(): Promise<void>;
}

export async function startWorker(ns: Namespace): Promise<WorkerProcess> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(process.execPath, [WORKER_MAIN], {
    env: { ...process.env, ...apiEnvironment(ns, 0), WORKER_METRICS_PORT: String(port), WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  logOutput(child, path.join(RESULTS_DIR, 'logs', `worker-${port}.log`));
  try {
    await waitForHttp(child, `http://127.0.0.1:${port}/healthz`, (status) => status === 200);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  if (child.pid === undefined) throw new Error('the worker process has no pid');
  return { pid: child.pid, stop: () => stopChild(child) };
}

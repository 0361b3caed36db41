import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { getFreePort } from '#shared/testing/free-port';
import { ADMIN_MAIN, RESULTS_DIR, type Namespace } from '../settings';
import { apiEnvironment } from './api';
import { logOutput, stopChild, waitForHttp } from './child';

/** The staff service under test, started as production starts it, on the load namespace's stores. */
export interface AdminProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startAdmin(ns: Namespace): Promise<AdminProcess> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(process.execPath, [ADMIN_MAIN], {
    env: { ...process.env, ...apiEnvironment(ns, 0), ADMIN_PORT: String(port), ADMIN_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  logOutput(child, path.join(RESULTS_DIR, 'logs', `admin-${port}.log`));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(child, `${url}/admin/healthz`, (status) => status === 200);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  if (child.pid === undefined) throw new Error('the admin process has no pid');
  return { url, pid: child.pid, stop: () => stopChild(child) };
}

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getFreePort } from '#shared/testing/free-port';
import { logOutput, stopChild, waitForHttp } from '../processes/child';
import { COMPILED_DIR, RESULTS_DIR } from '../settings';

export interface BareExpress {
  url: string;
  pid: number;
  expressVersion: string;
  stop(): Promise<void>;
}

/** The project's express, as resolved from the repository (the version the API runs on). */
export function expressVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(require.resolve('express/package.json'), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : undefined;
  return typeof version === 'string' ? version : 'unknown';
}

/** `cpuProfileDir`: run it under `node --cpu-prof`, to compare its profile with the API's. */
export async function startBareExpress(options: { cpuProfileDir?: string } = {}): Promise<BareExpress> {
  const port = await getFreePort();
  const flags = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...flags, path.join(COMPILED_DIR, 'baselines', 'bare-express-server.js'), String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  logOutput(child, path.join(RESULTS_DIR, 'logs', `bare-express-${port}.log`));
  const url = `http://127.0.0.1:${port}`;
  // Any HTTP answer means it listens: GET on the POST-only route is a 404.
  await waitForHttp(child, `${url}/v1/verifications`, () => true);
  if (child.pid === undefined) throw new Error('the bare express process has no pid');
  return { url, pid: child.pid, expressVersion: expressVersion(), stop: () => stopChild(child) };
}

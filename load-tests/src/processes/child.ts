import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Helpers shared by the processes a run starts (the API, the bare express
 * baseline, the bcrypt ceiling): each is its own process so its CPU use can
 * be read from /proc and it never shares an event loop with the load generator.
 */

/** Keeps a child's output in a log file (the API logs at warn: a quiet run leaves it empty). */
export function logOutput(child: ChildProcess, logFile: string): void {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
}

/** Polls `url` until it answers with a status `isReady` accepts; fails early when the child exits. */
export async function waitForHttp(
  child: ChildProcess,
  url: string,
  isReady: (status: number) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    const status = await fetch(url).then(
      (response) => response.status,
      () => 0,
    );
    if (status !== 0 && isReady(status)) return;
    await sleep(100);
  }
  throw new Error(`${url}: not ready within ${timeoutMs} ms`);
}

/**
 * Asks the child to stop (SIGINT lets the API drain and a profiled process
 * write its profile), then kills that one process if it does not go in time.
 */
export async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

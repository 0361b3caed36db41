import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getFreePort } from './free-port';

/**
 * A throwaway redis-server owned by one test run: its own port and directory
 * and no persistence, so tests can flush, kill or partition it without
 * touching a shared instance.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const REDIS_SERVER = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 5_000;
// getFreePort() can lose its port to another process before redis binds it.
const START_ATTEMPTS = 3;

// A server still running when the test process exits (stop() forgotten, mocha
// bailing out) would outlive it, so kill it on the way out. An 'exit' handler
// can only do synchronous work.
const exitCleanups = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: one stuck directory must not keep the others alive.
    }
  }
});

export async function startPrivateRedis(): Promise<PrivateRedis> {
  if (!isExecutable(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} not found: install it with "apt-get install -y redis-server" (tests spawn their own instance; the service need not run)`);
  }
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regcloud-redis-'));
    const logPath = path.join(dir, 'redis.log');
    const workspace = scratch(dir);
    const child = workspace.adopt(spawnRedis(port, dir, logPath));
    const outcome = await waitUntilReady(child, port);
    if (outcome === 'ready') return { port, url: `redis://127.0.0.1:${port}`, stop: workspace.stop };
    const log = readTail(logPath);
    await workspace.stop();
    if (outcome === 'exited' && /address already in use/i.test(log) && attempt < START_ATTEMPTS) continue;
    const what = outcome === 'exited' ? 'exited during start' : `did not answer PING within ${READY_TIMEOUT_MS} ms`;
    throw new Error(`private redis-server on port ${port} ${what}; log tail:\n${log}`);
  }
}

function spawnRedis(port: number, dir: string, logPath: string): ChildProcess {
  // Output goes to a file rather than a pipe: an open pipe would keep the test process alive.
  const logFd = fs.openSync(logPath, 'a');
  try {
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
      { stdio: ['ignore', logFd, logFd] },
    );
    // A failed spawn shows up as a missing pid (see hasExited); the 'error' event must not crash the run.
    child.on('error', () => {});
    // A forgotten stop() should not hang mocha; the exit hook kills the server instead.
    child.unref();
    return child;
  } finally {
    fs.closeSync(logFd);
  }
}

/**
 * A temp directory plus the server running in it. stop() is idempotent; if
 * it is never called, both still go when the test process exits.
 */
interface Scratch {
  adopt(child: ChildProcess): ChildProcess;
  stop(): Promise<void>;
}

function scratch(dir: string): Scratch {
  let current: ChildProcess | undefined;
  const cleanup = (): void => {
    current?.kill('SIGKILL');
    removeDir(dir);
  };
  exitCleanups.add(cleanup);
  let stopping: Promise<void> | undefined;
  return {
    adopt: (child) => (current = child),
    stop: () =>
      (stopping ??= (async () => {
        exitCleanups.delete(cleanup);
        if (current !== undefined) {
          // The server was unref'd; keep the event loop alive until its exit is seen.
          current.ref();
          current.kill('SIGKILL');
          await exited(current);
        }
        removeDir(dir);
      })()),
  };
}

function removeDir(dir: string): void {
  // Retries cover a just-killed process still creating files (ENOTEMPTY).
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}

async function waitUntilReady(child: ChildProcess, port: number): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited(child)) return 'exited';
    if (await answersPing(port)) return 'ready';
    await sleep(25);
  }
  return 'timeout';
}

/** True on +PONG; a refusal or -LOADING means "not yet". */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => settle(false));
    socket.on('error', () => settle(false));
    socket.on('close', () => settle(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) settle(reply.startsWith('+PONG'));
    });
  });
}

function hasExited(child: ChildProcess): boolean {
  // No pid means spawn itself failed, and no 'exit' event will follow.
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}

function exited(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getFreePort } from './free-port';

/**
 * A throwaway server process owned by one test run: its own temp directory
 * and port, started and probed until it answers, and removed together with
 * the directory on stop() or, if stop() is never called, when the test
 * process exits.
 */
export interface ChildDaemon {
  port: number;
  /** The temp directory the server runs in; gone after stop(). */
  dir: string;
  /** The server process now running (a new one after restart()). */
  child: () => ChildProcess;
  /** Kills the server and removes its directory; idempotent (a function of its own: callers destructure it). */
  stop: () => Promise<void>;
  /** Kills the server as a crash would (SIGKILL), keeping its directory and port for restart(). */
  kill: () => Promise<void>;
  /** Starts the server again in the same directory on the same port, and waits until it answers. */
  restart: () => Promise<void>;
}

export interface ChildDaemonOptions {
  /** Names the server in errors: `private ${name} on port …`. */
  name: string;
  /** Prefix of the temp directory created under os.tmpdir(). */
  dirPrefix: string;
  /** File in the temp directory that receives the server's stdout and stderr. */
  logFile: string;
  command: string;
  args(port: number, dir: string): string[];
  readyTimeoutMs: number;
  /** One readiness probe; false means "not yet". */
  isReady(port: number): Promise<boolean>;
  /** What a server that never became ready failed to do, e.g. "did not answer PING". */
  notReady: string;
  /**
   * Work in the fresh directory before a port is chosen (e.g. initialising a
   * data directory). Processes it starts must be passed to `adopt` so that they
   * die with the test process. A failure is thrown as it is, not retried.
   */
  prepare?(dir: string, adopt: (child: ChildProcess) => void): Promise<void>;
  /** Ports the server takes besides its own (a cluster bus): never chosen as its port. */
  otherPorts?: readonly number[];
}

// getFreePort() can lose its port to another process before the server binds it.
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

/** Throws, naming the package to install, unless every binary is there and executable. */
export function requireExecutables(binaries: readonly string[], aptPackage: string): void {
  for (const binary of binaries) {
    if (!isExecutable(binary)) {
      throw new Error(
        `${binary} not found: install it with "apt-get install -y ${aptPackage}" (tests spawn their own instance; the service need not run)`,
      );
    }
  }
}

export async function startChildDaemon(options: ChildDaemonOptions): Promise<ChildDaemon> {
  for (let attempt = 1; ; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), options.dirPrefix));
    const logPath = path.join(dir, options.logFile);
    const workspace = scratch(dir);
    if (options.prepare !== undefined) {
      try {
        await options.prepare(dir, workspace.adopt);
      } catch (error) {
        await workspace.stop();
        throw error;
      }
    }
    const port = await getFreePort(options.otherPorts);
    let child = workspace.adopt(spawnLogged(options.command, options.args(port, dir), logPath));
    const outcome = await waitUntilReady(child, port, options);
    if (outcome === 'ready') {
      const kill = async () => {
        child.ref();
        child.kill('SIGKILL');
        await exited(child);
      };
      const restart = async () => {
        child = workspace.adopt(spawnLogged(options.command, options.args(port, dir), logPath));
        const again = await waitUntilReady(child, port, options);
        if (again !== 'ready')
          throw new Error(`private ${options.name} on port ${port} did not come back; log tail:\n${readTail(logPath)}`);
      };
      return { port, dir, child: () => child, stop: workspace.stop, kill, restart };
    }
    const log = readTail(logPath);
    await workspace.stop();
    if (outcome === 'exited' && /address already in use/i.test(log) && attempt < START_ATTEMPTS) continue;
    const what = outcome === 'exited' ? 'exited during start' : `${options.notReady} within ${options.readyTimeoutMs} ms`;
    throw new Error(`private ${options.name} on port ${port} ${what}; log tail:\n${log}`);
  }
}

/**
 * One readiness probe over TCP to 127.0.0.1:port. `talk` attaches the
 * conversation to the socket and calls `settle` with its verdict; a refusal,
 * an error, a close or `timeoutMs` of silence settle it as false ("not yet").
 */
export function probeTcp(
  port: number,
  timeoutMs: number,
  talk: (socket: net.Socket, settle: (ok: boolean) => void) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => settle(false));
    socket.on('error', () => settle(false));
    socket.on('close', () => settle(false));
    talk(socket, settle);
  });
}

function spawnLogged(command: string, args: string[], logPath: string): ChildProcess {
  // Output goes to a file rather than a pipe: an open pipe would keep the test process alive.
  const logFd = fs.openSync(logPath, 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', logFd, logFd] });
    // A failed spawn shows up as a missing pid (see hasExited); the 'error' event must not crash the run.
    child.on('error', () => undefined);
    // A forgotten stop() should not hang mocha; the exit hook kills the server instead.
    child.unref();
    return child;
  } finally {
    fs.closeSync(logFd);
  }
}

/**
 * A temp directory plus the process currently working in it (a preparing
 * process, then the server). stop() is idempotent; if it is never called,
 * both still go when the test process exits.
 */
interface Scratch {
  adopt: (child: ChildProcess) => ChildProcess;
  stop: () => Promise<void>;
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

async function waitUntilReady(
  child: ChildProcess,
  port: number,
  options: Pick<ChildDaemonOptions, 'isReady' | 'readyTimeoutMs'>,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) return 'exited';
    if (await options.isReady(port)) return 'ready';
    await sleep(25);
  }
  return 'timeout';
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

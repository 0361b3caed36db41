import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getFreePort } from './free-port';

/**
 * A throwaway MariaDB server owned by one test run: fresh data directory,
 * own port, root with an empty password over TCP. pause()/resume() freeze
 * and thaw the process (SIGSTOP/SIGCONT), which looks to clients like a
 * database that stopped answering while connections stay up.
 */
export interface PrivateMariadb {
  port: number;
  /** mysql://root@127.0.0.1:PORT/ */
  url: string;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
}

const INSTALL_DB = '/usr/bin/mariadb-install-db';
const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 30_000;
// getFreePort() can lose its port to another process before mariadbd binds it.
const START_ATTEMPTS = 3;
const MYSQL_PROTOCOL_VERSION = 10;

// Must be identical for install and server start: a different redo log size
// makes the server rebuild the log on its first start, which costs time.
const STORAGE_OPTIONS = [
  '--innodb-buffer-pool-size=16M',
  '--innodb-log-file-size=4M',
  // io_uring is often forbidden inside CI containers (seccomp), and a test
  // database gains nothing from native AIO.
  '--innodb-use-native-aio=0',
];

// mariadbd refuses to run as root unless told to; as any other user the option is not needed.
const USER_OPTIONS = process.getuid?.() === 0 ? ['--user=root'] : [];

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

export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  for (const binary of [INSTALL_DB, MARIADBD]) {
    if (!isExecutable(binary)) {
      throw new Error(`${binary} not found: install it with "apt-get install -y mariadb-server" (tests spawn their own instance; the service need not run)`);
    }
  }
  for (let attempt = 1; ; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regcloud-mariadb-'));
    const dataDir = path.join(dir, 'data');
    const logPath = path.join(dir, 'mariadbd.log');
    const workspace = scratch(dir);
    try {
      await installDb(dataDir, workspace);
    } catch (error) {
      await workspace.stop();
      throw error;
    }
    const port = await getFreePort();
    const child = workspace.adopt(spawnMariadbd(port, dir, dataDir, logPath));
    const outcome = await waitUntilReady(child, port);
    if (outcome === 'ready') {
      return {
        port,
        url: `mysql://root@127.0.0.1:${port}/`,
        stop: workspace.stop,
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
      };
    }
    const log = readTail(logPath);
    await workspace.stop();
    if (outcome === 'exited' && /address already in use/i.test(log) && attempt < START_ATTEMPTS) continue;
    const what = outcome === 'exited' ? 'exited during start' : `sent no greeting within ${READY_TIMEOUT_MS} ms`;
    throw new Error(`private mariadbd on port ${port} ${what}; log tail:\n${log}`);
  }
}

function installDb(dataDir: string, workspace: Scratch): Promise<void> {
  return new Promise((resolve, reject) => {
    const installer = execFile(
      INSTALL_DB,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        // Root gets an ordinary empty password (root@localhost, @127.0.0.1, @::1)
        // instead of unix_socket auth, so TCP clients can log in as root.
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...USER_OPTIONS,
        ...STORAGE_OPTIONS,
      ],
      { timeout: INSTALL_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        if (error === null) resolve();
        else reject(new Error(`${INSTALL_DB} failed: ${error.message}\n${stderr}`));
      },
    );
    // Registered so that a test process dying mid-install does not leave the installer behind.
    workspace.adopt(installer);
  });
}

function spawnMariadbd(port: number, dir: string, dataDir: string, logPath: string): ChildProcess {
  // Output goes to a file rather than a pipe: an open pipe would keep the test process alive.
  const logFd = fs.openSync(logPath, 'a');
  try {
    const child = spawn(
      MARIADBD,
      [
        // --no-defaults must come first; it keeps /etc/mysql out of the picture.
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(dir, 'mariadbd.sock')}`,
        `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
        `--tmpdir=${dir}`,
        ...USER_OPTIONS,
        ...STORAGE_OPTIONS,
        '--skip-log-bin',
        // Reverse DNS on every connection is slow on some CI hosts; the root@127.0.0.1 grant matches without it.
        '--skip-name-resolve',
        // Compiled-in defaults are latin1; packaged servers (Debian, the Docker image) run utf8mb4.
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        // The data is thrown away with the process; fsync per commit would only slow tests down.
        '--innodb-flush-log-at-trx-commit=2',
        '--innodb-doublewrite=0',
      ],
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
 * A temp directory plus the process currently working in it (installer, then
 * server). stop() is idempotent; if it is never called, both still go when
 * the test process exits.
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
    if (await greets(port)) return 'ready';
    await sleep(25);
  }
  return 'timeout';
}

/**
 * True when the server sends a protocol-10 handshake packet. The packet is a
 * 3-byte length and a sequence byte, then the protocol version; an error
 * packet (0xff) or a refusal means "not yet".
 */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    let received = Buffer.alloc(0);
    socket.setTimeout(2_000, () => settle(false));
    socket.on('error', () => settle(false));
    socket.on('close', () => settle(false));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const version = received[4];
      if (version !== undefined) settle(version === MYSQL_PROTOCOL_VERSION);
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

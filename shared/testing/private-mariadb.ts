import { execFile, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { probeTcp, requireExecutables, startChildDaemon } from './child-daemon';

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
  /** SIGKILL, as a crash: the data directory stays for restart(). */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data, after kill(). */
  restart(): Promise<void>;
}

const INSTALL_DB = '/usr/bin/mariadb-install-db';
const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 30_000;
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

export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  requireExecutables([INSTALL_DB, MARIADBD], 'mariadb-server');
  const { port, child, stop, kill, restart } = await startChildDaemon({
    name: 'mariadbd',
    dirPrefix: 'regcloud-mariadb-',
    logFile: 'mariadbd.log',
    prepare: (dir, adopt) => installDb(dataDirIn(dir), adopt),
    command: MARIADBD,
    args: mariadbdArgs,
    readyTimeoutMs: READY_TIMEOUT_MS,
    isReady: greets,
    notReady: 'sent no greeting',
  });
  return {
    port,
    url: `mysql://root@127.0.0.1:${port}/`,
    stop,
    pause: () => child().kill('SIGSTOP'),
    resume: () => child().kill('SIGCONT'),
    kill,
    restart,
  };
}

function installDb(dataDir: string, adopt: (child: ChildProcess) => void): Promise<void> {
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
    adopt(installer);
  });
}

function dataDirIn(dir: string): string {
  return path.join(dir, 'data');
}

function mariadbdArgs(port: number, dir: string): string[] {
  return [
    // --no-defaults must come first; it keeps /etc/mysql out of the picture.
    '--no-defaults',
    `--datadir=${dataDirIn(dir)}`,
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
  ];
}

/**
 * True when the server sends a protocol-10 handshake packet. The packet is a
 * 3-byte length and a sequence byte, then the protocol version; an error
 * packet (0xff) or a refusal means "not yet".
 */
function greets(port: number): Promise<boolean> {
  let received = Buffer.alloc(0);
  return probeTcp(port, 2_000, (socket, settle) => {
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const version = received[4];
      if (version !== undefined) settle(version === MYSQL_PROTOCOL_VERSION);
    });
  });
}

import { probeTcp, requireExecutables, startChildDaemon } from './child-daemon';

/**
 * A throwaway redis-server owned by one test run: its own port and directory
 * and no persistence, so tests can flush, kill or partition it without
 * touching a shared instance.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an operator stopping the process. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (nothing is persisted). */
  restart(): Promise<void>;
}

const REDIS_SERVER = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 5_000;

export async function startPrivateRedis(): Promise<PrivateRedis> {
  requireExecutables([REDIS_SERVER], 'redis-server');
  const { port, stop, kill, restart } = await startChildDaemon({
    name: 'redis-server',
    dirPrefix: 'regcloud-redis-',
    logFile: 'redis.log',
    command: REDIS_SERVER,
    args: (port, dir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    readyTimeoutMs: READY_TIMEOUT_MS,
    isReady: answersPing,
    notReady: 'did not answer PING',
  });
  return { port, url: `redis://127.0.0.1:${port}`, stop, kill, restart };
}

/** True on +PONG; a refusal or -LOADING means "not yet". */
function answersPing(port: number): Promise<boolean> {
  let reply = '';
  return probeTcp(port, 1_000, (socket, settle) => {
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) settle(reply.startsWith('+PONG'));
    });
  });
}

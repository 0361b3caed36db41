import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { probeTcp, requireExecutables, startChildDaemon, type ChildDaemon } from './child-daemon';
import { getFreePort } from './free-port';

/**
 * A throwaway Redis Cluster owned by one test run: three masters with a
 * replica each, six redis-server processes on free loopback ports, each in
 * its own temp directory with no persistence, joined with
 * `redis-cli --cluster create`. A small node timeout makes a replica take
 * over within a few seconds of its master dying. Nothing here touches the
 * machine's shared Redis.
 */
export interface ClusterNode {
  port: number;
  /** kill -9: the process dies without a word, as in a crash. */
  kill(): void;
}

export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId: string | null;
  isFailed: boolean;
  /** Slot ranges of a master, as [first, last]. */
  slots: Array<[number, number]>;
}

export interface RedisCluster {
  nodes: ClusterNode[];
  /** REDIS_CLUSTER_NODES for the six nodes. */
  seeds: string;
  /** One line of redis-cli against a node (its stdout). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** CLUSTER NODES as seen by a node that is alive. */
  topology(): Promise<ClusterNodeInfo[]>;
  /** Resolves once every live node says cluster_state:ok, sees the same masters, and every replica is in sync. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';
const NODE_TIMEOUT_MS = 2000;
const run = promisify(execFile);

/** startChildDaemon retries a lost data port; a lost bus port is retried here, with a fresh one. */
async function startNode(): Promise<ChildDaemon> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNodeOnBus(await getFreePort());
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !error.message.includes('(cluster), aborting')) throw error;
    }
  }
}

async function startNodeOnBus(busPort: number): Promise<ChildDaemon> {
  // The cluster bus gets its own free port (cluster-port), not port + 10000, which may be taken or past 65535.
  return startChildDaemon({
    name: 'redis-server (cluster)',
    dirPrefix: 'regcloud-redis-cluster-',
    logFile: 'redis.log',
    command: REDIS_SERVER,
    args: (port, dir) => [
      '--port',
      String(port),
      '--cluster-port',
      String(busPort),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `${dir}/nodes.conf`,
      '--cluster-node-timeout',
      String(NODE_TIMEOUT_MS),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    otherPorts: [busPort],
    readyTimeoutMs: 5000,
    isReady: answersPing,
    notReady: 'did not answer PING',
  });
}

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

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slotFields] = line.trim().split(' ');
      const port = Number(/:(\d+)@/.exec(address)?.[1] ?? '0');
      const slots: Array<[number, number]> = [];
      for (const field of slotFields) {
        // "[slot->-node]" marks a migration in progress, not an owned slot.
        if (field.startsWith('[')) continue;
        const [first, last = first] = field.split('-');
        slots.push([Number(first), Number(last)]);
      }
      return {
        id,
        port,
        role: flags.includes('master') ? 'master' : 'replica',
        masterId: master === '-' ? null : master,
        isFailed: /(^|,)fail(,|$)/.test(flags),
        slots,
      };
    });
}

export async function startRedisCluster(): Promise<RedisCluster> {
  requireExecutables([REDIS_SERVER, REDIS_CLI], 'redis-server redis-tools');
  const daemons: ChildDaemon[] = [];
  const killed = new Set<number>();
  const stop = async () => {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
  };
  try {
    // One at a time: ports chosen at once could collide (a data port of one picked as the bus port of another).
    for (let i = 0; i < 6; i++) daemons.push(await startNode());
    const addresses = daemons.map((daemon) => `127.0.0.1:${daemon.port}`);
    await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
  } catch (error) {
    await stop();
    throw error;
  }

  const cli = async (port: number, ...args: string[]) => (await run(REDIS_CLI, ['-p', String(port), ...args], { timeout: 30_000 })).stdout;
  const livePorts = () => daemons.map((daemon) => daemon.port).filter((port) => !killed.has(port));
  const topology = async () => {
    for (const port of livePorts()) {
      try {
        return parseClusterNodes(await cli(port, 'CLUSTER', 'NODES'));
      } catch {
        // That node is away; ask the next.
      }
    }
    throw new Error('no node of the test cluster answers');
  };

  const isHealthy = async (): Promise<boolean> => {
    const views = new Set<string>();
    for (const port of livePorts()) {
      const info = await cli(port, 'CLUSTER', 'INFO').catch(() => '');
      if (!info.includes('cluster_state:ok')) return false;
      const nodes = parseClusterNodes(await cli(port, 'CLUSTER', 'NODES'));
      const liveMasters = nodes.filter((node) => node.role === 'master' && node.slots.length > 0 && !killed.has(node.port));
      views.add(
        liveMasters
          .map((node) => `${node.port}:${JSON.stringify(node.slots)}`)
          .sort()
          .join(' '),
      );
      const replication = await cli(port, 'INFO', 'replication').catch(() => '');
      if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
    }
    return views.size === 1;
  };

  const cluster: RedisCluster = {
    nodes: daemons.map((daemon) => ({
      port: daemon.port,
      kill() {
        killed.add(daemon.port);
        daemon.child().kill('SIGKILL');
      },
    })),
    seeds: daemons.map((daemon) => `127.0.0.1:${daemon.port}`).join(','),
    cli,
    topology,
    async waitUntilHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await isHealthy())) {
        if (Date.now() > deadline) throw new Error('the test Redis Cluster did not become healthy');
        await sleep(100);
      }
    },
    stop,
  };
  try {
    await cluster.waitUntilHealthy();
  } catch (error) {
    await stop();
    throw error;
  }
  return cluster;
}

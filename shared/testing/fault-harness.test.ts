import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { getFreePort } from './free-port';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { startPrivateRedis } from './private-redis';
import { startPrivateMariadb } from './private-mariadb';

/** Outcome of one short conversation: what came back, and how the socket ended. */
interface Exchange {
  data: string;
  ended: 'reply' | 'closed' | 'error' | 'timeout';
}

/**
 * Connects, optionally writes, and waits until `expected` bytes arrive, the
 * socket closes or errors, or `timeoutMs` passes. Never rejects, so each test
 * asserts on the outcome instead of on exception shapes.
 */
function exchange(port: number, options: { send?: string; expected: number; timeoutMs: number }): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    let settled = false;
    const settle = (ended: Exchange['ended']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: data.toString('latin1'), ended });
    };
    const timer = setTimeout(() => settle('timeout'), options.timeoutMs);
    socket.on('connect', () => {
      if (options.send !== undefined) socket.write(options.send);
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= options.expected) settle('reply');
    });
    socket.on('error', () => settle('error'));
    socket.on('close', () => settle('closed'));
  });
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('fault-injection harness', function () {
  describe('tcp proxy', function () {
    let echo: net.Server;
    let proxy: TcpProxy;

    beforeEach(async function () {
      echo = net.createServer((socket) => {
        socket.on('error', () => undefined);
        socket.pipe(socket);
      });
      echo.listen(0, '127.0.0.1');
      await once(echo, 'listening');
      const address = echo.address();
      assert.ok(address !== null && typeof address !== 'string');
      proxy = await startTcpProxy({ host: '127.0.0.1', port: address.port });
    });

    afterEach(async function () {
      await proxy.close();
      echo.close();
    });

    it('forwards bytes both ways', async function () {
      const result = await exchange(proxy.port, { send: 'hello', expected: 5, timeoutMs: 2_000 });
      assert.deepEqual(result, { data: 'hello', ended: 'reply' });
    });

    it('cut() drops open connections and refuses new ones until restore()', async function () {
      const open = net.connect({ host: '127.0.0.1', port: proxy.port });
      open.on('error', () => undefined);
      await once(open, 'connect');
      open.write('ping');
      await once(open, 'data');
      // Not events.once: it rejects on the 'error' (ECONNRESET) that precedes 'close'.
      const openClosed = new Promise<void>((resolve) => open.once('close', () => resolve()));

      proxy.cut();
      await openClosed;
      const duringCut = await exchange(proxy.port, { send: 'hello', expected: 5, timeoutMs: 2_000 });
      assert.equal(duringCut.data, '');
      assert.ok(duringCut.ended === 'error' || duringCut.ended === 'closed', `ended by ${duringCut.ended}`);

      proxy.restore();
      const afterRestore = await exchange(proxy.port, { send: 'hello', expected: 5, timeoutMs: 2_000 });
      assert.deepEqual(afterRestore, { data: 'hello', ended: 'reply' });
    });

    it('pause() holds bytes so reads time out, resume() delivers them', async function () {
      const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      proxy.pause();
      const chunks: Buffer[] = [];
      const received = (): string => Buffer.concat(chunks).toString('latin1');
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.write('held');
      await sleep(300);
      assert.equal(received(), '', 'nothing may arrive while paused');

      proxy.resume();
      const deadline = Date.now() + 2_000;
      while (received() !== 'held' && Date.now() < deadline) await sleep(10);
      socket.destroy();
      assert.equal(received(), 'held');
    });

    it('paused proxy also stalls connections opened during the pause', async function () {
      proxy.pause();
      const result = await exchange(proxy.port, { send: 'hello', expected: 5, timeoutMs: 300 });
      assert.deepEqual(result, { data: '', ended: 'timeout' });
    });
  });

  describe('free port', function () {
    it('returns a port nobody listens on', async function () {
      const port = await getFreePort();
      assert.ok(port > 0);
      assert.equal(await refusesConnections(port), true);
    });
  });

  describe('private redis', function () {
    it('answers PING and is gone after stop()', async function () {
      const started = Date.now();
      const redis = await startPrivateRedis();
      console.log(`      private redis started in ${Date.now() - started} ms`);
      try {
        assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
        const reply = await exchange(redis.port, { send: 'PING\r\n', expected: 7, timeoutMs: 2_000 });
        assert.deepEqual(reply, { data: '+PONG\r\n', ended: 'reply' });
      } finally {
        await redis.stop();
      }
      assert.equal(await refusesConnections(redis.port), true);
      await redis.stop(); // idempotent
    });
  });

  describe('private mariadb', function () {
    it('greets, freezes on pause(), and is gone after stop()', async function () {
      const started = Date.now();
      const db = await startPrivateMariadb();
      console.log(`      private mariadb started in ${Date.now() - started} ms`);
      try {
        assert.equal(db.url, `mysql://root@127.0.0.1:${db.port}/`);
        const greeting = await exchange(db.port, { expected: 5, timeoutMs: 2_000 });
        assert.equal(greeting.ended, 'reply');
        assert.equal(greeting.data.charCodeAt(4), 10, 'protocol version 10 handshake');

        // The url is what the services will be given: root with no password must get in.
        const connection = await mysql.createConnection(db.url);
        try {
          const [rows] = await connection.query('SELECT CURRENT_USER() AS user');
          assert.deepEqual(rows, [{ user: 'root@127.0.0.1' }]);
        } finally {
          await connection.end();
        }

        db.pause();
        const frozen = await exchange(db.port, { expected: 5, timeoutMs: 300 });
        assert.deepEqual(frozen, { data: '', ended: 'timeout' });
        db.resume();
        const thawed = await exchange(db.port, { expected: 5, timeoutMs: 2_000 });
        assert.equal(thawed.ended, 'reply');
      } finally {
        await db.stop();
      }
      assert.equal(await refusesConnections(db.port), true);
    });
  });
});

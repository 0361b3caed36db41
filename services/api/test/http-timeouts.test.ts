import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { ConfigError, loadConfig } from '#shared/config/env';
import { closeServer, createNodeServer, listen } from '#shared/http/node-server';
import { startTestApi, type TestApi } from '#shared/testing/test-api';
import { runStoresEnv, startApiProcess, type ApiProcess } from './support/api-process';

/**
 * Writes `sent` on a raw socket, then nothing: what the server answers and
 * how long it keeps the connection. Gives up after 5 s (Node's defaults
 * would keep it for a minute or more).
 */
function trickle(port: number, sent: string): Promise<{ answer: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(sent));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedAfterMs: undefined });
    }, 5000);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
  });
}

const PARTIAL_REQUEST_LINE = 'GET /healthz HT';
const HALF_A_BODY = 'POST /v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"machineC';
const ONE_KEEP_ALIVE_REQUEST = 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n';

describe('HTTP server timeouts', function () {
  describe('the configuration', function () {
    it('defaults to 10 s for headers, 30 s for the whole request and 5 s idle keep-alive', function () {
      assert.deepEqual(loadConfig({}).http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 });
    });

    it('refuses values out of range, and headers allowed longer than the whole request', function () {
      assert.throws(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '0' }), ConfigError);
      assert.throws(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' }), ConfigError);
      assert.throws(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '500' }), ConfigError);
      assert.throws(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '3600001' }), ConfigError);
      assert.throws(
        () => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }),
        /HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS/,
      );
    });
  });

  describe('createNodeServer', function () {
    let api: TestApi;
    let server: Server;
    let port: number;

    before(async function () {
      api = await startTestApi({ HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });
      server = createNodeServer(api.app, api.config.http);
      await listen(server, 0, '127.0.0.1');
      port = (server.address() as AddressInfo).port;
    });
    after(async function () {
      await closeServer(server);
      await api.close();
    });

    it('answers 408 and closes a connection whose request line never finishes', async function () {
      const { answer, closedAfterMs } = await trickle(port, PARTIAL_REQUEST_LINE);
      assert.ok(closedAfterMs !== undefined && closedAfterMs < 1500, `closed after ${closedAfterMs} ms`);
      assert.match(answer, /^HTTP\/1\.1 408 /);
    });

    it('answers 408 and closes a request whose body never finishes', async function () {
      const { answer, closedAfterMs } = await trickle(port, HALF_A_BODY);
      assert.ok(closedAfterMs !== undefined && closedAfterMs < 2000, `closed after ${closedAfterMs} ms`);
      assert.match(answer, /^HTTP\/1\.1 408 /);
    });

    it('closes an idle keep-alive connection after its answer', async function () {
      const { answer, closedAfterMs } = await trickle(port, ONE_KEEP_ALIVE_REQUEST);
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /^Keep-Alive: timeout=1\r$/m);
      // Node keeps the socket 1 s past the announced timeout, for a client that reuses it just then.
      assert.ok(closedAfterMs !== undefined && closedAfterMs < 3000, `closed after ${closedAfterMs} ms`);
    });

    it('still serves a normal request', async function () {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ok' });
    });
  });

  describe('the API process (main.ts)', function () {
    let apiProcess: ApiProcess;

    before(async function () {
      apiProcess = await startApiProcess({ ...runStoresEnv(), HTTP_HEADERS_TIMEOUT_MS: '300' });
    });
    after(async function () {
      await apiProcess.stop();
    });

    it('applies HTTP_HEADERS_TIMEOUT_MS to its public port', async function () {
      const { answer, closedAfterMs } = await trickle(Number(new URL(apiProcess.url).port), PARTIAL_REQUEST_LINE);
      assert.ok(closedAfterMs !== undefined && closedAfterMs < 1500, `closed after ${closedAfterMs} ms`);
      assert.match(answer, /^HTTP\/1\.1 408 /);
    });
  });
});

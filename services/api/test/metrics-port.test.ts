import assert from 'node:assert/strict';
import request from 'supertest';
import { ConfigError, loadConfig } from '#shared/config/env';
import { getFreePort } from '#shared/testing/free-port';
import { startTestApi, type TestApi } from '#shared/testing/test-api';
import { buildApp } from '../src/app';
import { buildMetricsApp } from '../src/metrics-app';
import { postJson, runStoresEnv, startApiProcess, type ApiProcess } from './support/api-process';

const FALLBACK_404 = {
  result: 'failure',
  overall: [{ code: 'LICENSE_FILE_FORMAT_INCORRECT', message: 'License file format is incorrect.' }],
  nodes: [],
};

describe('METRICS_PORT: /metrics on a port of its own', function () {
  it('is unset by default, and may not be the public port', function () {
    assert.equal(loadConfig({}).metricsPort, undefined);
    assert.equal(loadConfig({ METRICS_PORT: '9464' }).metricsPort, 9464);
    assert.throws(() => loadConfig({ METRICS_PORT: '0' }), ConfigError);
    assert.throws(() => loadConfig({ PORT: '9464', METRICS_PORT: '9464' }), /METRICS_PORT: must differ from PORT/);
  });

  describe('the apps', function () {
    let api: TestApi;

    before(async function () {
      api = await startTestApi();
    });
    after(async function () {
      await api.close();
    });

    it('the public app answers /metrics as an unknown route when metrics are served elsewhere', async function () {
      const response = await request(buildApp(api.deps, { serveMetrics: false })).get('/metrics');
      assert.equal(response.status, 404);
      assert.deepEqual(response.body, FALLBACK_404);
    });

    it('the metrics app answers Prometheus text, and nothing else', async function () {
      const metricsApp = buildMetricsApp(api.deps);
      const metrics = await request(metricsApp).get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(metrics.text, /^process_cpu_seconds_total /m);
      for (const path of ['/healthz', '/v1/verifications']) {
        const other = await request(metricsApp).get(path);
        assert.equal(other.status, 404, path);
        assert.deepEqual(other.body, FALLBACK_404, path);
      }
    });
  });

  describe('the API process (main.ts)', function () {
    let apiProcess: ApiProcess;
    let metricsUrl: string;

    before(async function () {
      const metricsPort = await getFreePort();
      metricsUrl = `http://127.0.0.1:${metricsPort}`;
      apiProcess = await startApiProcess({ ...runStoresEnv(), METRICS_PORT: String(metricsPort) });
    });
    after(async function () {
      await apiProcess.stop();
    });

    it("serves /metrics on METRICS_PORT, counting the public port's requests, and no longer on the public port", async function () {
      const heartbeat = await postJson(`${apiProcess.url}/v1/verifications`, { machineCode: 'm-unknown', token: 'unknown' });
      assert.equal(heartbeat.status, 409);
      const metrics = await fetch(`${metricsUrl}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^regcloud_http_request_duration_seconds_count\{.*route="\/v1\/verifications".*\} 1$/m);
      const publicMetrics = await fetch(`${apiProcess.url}/metrics`);
      assert.equal(publicMetrics.status, 404);
      assert.deepEqual(await publicMetrics.json(), FALLBACK_404);
      assert.equal((await fetch(`${apiProcess.url}/healthz`)).status, 200);
    });

    it('stops on SIGTERM with exit code 0, neither port answering after', async function () {
      assert.equal(await apiProcess.stop(), 0, 'exit code 0: stopped within SHUTDOWN_GRACE_MS');
      await assert.rejects(fetch(`${metricsUrl}/metrics`));
      await assert.rejects(fetch(`${apiProcess.url}/healthz`));
    });
  });
});

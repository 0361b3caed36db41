import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { RUN_KEY_PREFIX, testConfig } from '#shared/testing/test-environment';
import { startTestApi, type TestApi } from '#shared/testing/test-api';
import { startTestAdmin, type TestAdmin } from '../../services/admin/test/support/test-admin';
import { createWorkerDeps, type WorkerDeps } from '../../services/worker/src/deps';
import { buildWorkerMetricsApp } from '../../services/worker/src/metrics-app';
import { startQueues, type RunningQueues } from '../../services/worker/src/queues';
import { dashboardQueries, isServed, loadRules, metricNames, scrapedFamilies } from './support/promql';

/**
 * Every metric the dashboard and the alerts read is served by a real scrape
 * of the three services (the API, the staff service and the worker, each over
 * this run's stores): a renamed metric or a typo in a query fails here, not
 * on an empty panel or an alert that can never fire.
 */
describe('metric names in the dashboard and the alerts', function () {
  // Prometheus makes `up` itself; recording rules define their own names.
  const SYNTHETIC = new Set(['up', ...loadRules().flatMap((rule) => rule.record ?? [])]);
  let api: TestApi;
  let admin: TestAdmin;
  let worker: WorkerDeps;
  let queues: RunningQueues;
  const stopJobs = new AbortController();
  let families: Map<string, string>;

  before(async function () {
    api = await startTestApi();
    admin = await startTestAdmin();
    worker = await createWorkerDeps(
      testConfig({ REDIS_KEY_PREFIX: `${RUN_KEY_PREFIX}mn${randomBytes(4).toString('hex')}:`, RECONCILE_INTERVAL_SECONDS: '3600' }),
    );
    queues = await startQueues(worker, { signal: stopJobs.signal });
    const scrapes = await Promise.all([
      request(api.app).get('/metrics'),
      request(admin.app).get('/admin/metrics'),
      request(buildWorkerMetricsApp(worker, queues.all)).get('/metrics'),
    ]);
    for (const scrape of scrapes) assert.equal(scrape.status, 200);
    families = new Map(scrapes.flatMap((scrape) => [...scrapedFamilies(scrape.text)]));
  });
  after(async function () {
    stopJobs.abort();
    await queues.close();
    await worker.close();
    await admin.close();
    await api.close();
  });

  it('finds every metric of every dashboard panel and variable in a scrape', function () {
    const names = dashboardQueries().flatMap(metricNames);
    assert.ok(names.length >= 15);
    assert.deepEqual([...new Set(names.filter((name) => !isServed(name, families)))], []);
  });

  it('finds every metric of every alert and recording rule in a scrape', function () {
    const names = loadRules().flatMap((rule) => metricNames(rule.expr));
    assert.ok(names.includes('regcloud_queue_jobs') && names.includes('regcloud_reconcile_mismatches_total'));
    assert.deepEqual([...new Set(names.filter((name) => !SYNTHETIC.has(name) && !isServed(name, families)))], []);
  });
});

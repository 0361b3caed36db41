import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { getFreePort } from '#shared/testing/free-port';
import { startWorkerProcess } from './support/worker-process';
import { RUN_KEY_PREFIX, testConfig } from '#shared/testing/test-environment';
import { createWorkerDeps, type WorkerDeps } from '../src/deps';
import { buildWorkerMetricsApp } from '../src/metrics-app';
import { RECONCILE_QUEUE } from '../src/queues';

function queueSamples(text: string, queue: string): Record<string, number> {
  const samples: Record<string, number> = {};
  for (const match of text.matchAll(/^regcloud_queue_jobs\{queue="([^"]+)",state="([^"]+)"\} (\S+)$/gm)) {
    if (match[1] === queue && match[2] !== undefined) samples[match[2]] = Number(match[3]);
  }
  return samples;
}

describe('worker metrics (WORKER_METRICS_PORT)', function () {
  let worker: WorkerDeps;
  let queue: Queue;

  before(async function () {
    worker = await createWorkerDeps(testConfig({ REDIS_KEY_PREFIX: `${RUN_KEY_PREFIX}wm${randomBytes(4).toString('hex')}:` }));
    // A queue nobody works: its counts stay what the test made them.
    queue = new Queue(`depths-${randomBytes(4).toString('hex')}`, { connection: worker.queueConnection, prefix: worker.queuePrefix });
  });
  after(async function () {
    await queue.close();
    await worker.close();
  });

  it('reads each queue depth by state from Redis when scraped', async function () {
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
      { name: 'c', data: {} },
    ]);
    await queue.add('later', {}, { delay: 3_600_000 });
    const answer = await request(buildWorkerMetricsApp(worker, [queue])).get('/metrics');
    assert.equal(answer.status, 200);
    assert.deepEqual(queueSamples(answer.text, queue.name), { waiting: 3, active: 0, delayed: 1, failed: 0 });
    assert.match(answer.text, /^# TYPE regcloud_reconcile_mismatches_total counter$/m);
  });

  it('answers without queue depths, soon, when Redis does not answer', async function () {
    // BullMQ's kind of client (it waits for Redis forever) pointed at a port nothing listens on.
    const deadPort = await getFreePort();
    const dead = new Redis({ port: deadPort, lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 200 });
    dead.on('error', () => undefined);
    const unreachable = new Queue('unreachable', { connection: dead });
    unreachable.on('error', () => undefined);
    try {
      const started = Date.now();
      const answer = await request(buildWorkerMetricsApp(worker, [unreachable])).get('/metrics');
      assert.equal(answer.status, 200);
      assert.ok(Date.now() - started < 5000, 'the scrape waited for Redis');
      assert.doesNotMatch(answer.text, /^regcloud_queue_jobs\{/m);
      assert.match(answer.text, /^process_cpu_seconds_total /m);
    } finally {
      dead.disconnect();
    }
  });

  it('is served by the worker process, with /healthz, and stops on SIGTERM', async function () {
    const prefix = `${RUN_KEY_PREFIX}wp${randomBytes(4).toString('hex')}:`;
    const { child, port } = await startWorkerProcess({ REDIS_KEY_PREFIX: prefix, RECONCILE_INTERVAL_SECONDS: '3600' });
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const samples = queueSamples(text, RECONCILE_QUEUE);
      assert.deepEqual(Object.keys(samples).sort(), ['active', 'delayed', 'failed', 'waiting']);
      // The scheduler keeps exactly one run of reconcile-accounts not yet started (waiting, or delayed once the
      // run before it went active: BullMQ queues the next run when one starts, so `active` is not counted).
      assert.equal((samples.waiting ?? 0) + (samples.delayed ?? 0), 1, JSON.stringify(samples));
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

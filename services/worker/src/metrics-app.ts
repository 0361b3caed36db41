import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import { errorHandler, notFound } from '#shared/http/error-handler';
import type { WorkerDeps } from './deps';

/** The BullMQ states a backlog shows in; completed jobs are trimmed by the queues and not worth a series. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * BullMQ's connection waits out a Redis outage instead of failing (deps.ts),
 * so a scrape must not wait with it: past this it answers without queue depths.
 */
const COUNT_TIMEOUT_MS = 2000;

async function recordQueueDepths(deps: Pick<WorkerDeps, 'metrics' | 'logger'>, queues: readonly Queue[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`queue counts took longer than ${COUNT_TIMEOUT_MS} ms`)), COUNT_TIMEOUT_MS);
  });
  try {
    const counts = await Promise.race([Promise.all(queues.map((queue) => queue.getJobCounts(...QUEUE_STATES))), timeout]);
    queues.forEach((queue, index) => {
      for (const state of QUEUE_STATES) deps.metrics.queueJobs.set({ queue: queue.name, state }, counts[index]?.[state] ?? 0);
    });
  } catch (error) {
    // An absent series says "unknown"; yesterday's depth would say "fine".
    deps.metrics.queueJobs.reset();
    deps.logger.warn({ err: error }, 'queue depths not read for this scrape');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The worker's HTTP server on WORKER_METRICS_PORT: `/metrics` for Prometheus
 * (queue depths read at scrape time, reconcile counters) and `/healthz`, the
 * liveness probe, which answers while the event loop does.
 */
export function buildWorkerMetricsApp(deps: Pick<WorkerDeps, 'metrics' | 'logger'>, queues: readonly Queue[]): Express {
  const app = express();
  app.set('etag', false);
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    await recordQueueDepths(deps, queues);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

import { Queue, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import { SILENT_RELEASE_INTERVAL_SECONDS } from '#shared/domain/silent-release';
import type { WorkerDeps } from './deps';
import { RECONCILE_DEFAULTS, reconcileAccounts, type ReconcileOptions } from './jobs/reconcile-accounts';
import { releaseSilentBindings } from './jobs/release-silent-bindings';

/**
 * The worker's queues: each has its name, its schedule and one BullMQ Worker
 * that turns a job into a call of a plain job function (services/worker/src/jobs).
 * Queue names cannot hold ':' (BullMQ), so REDIS_KEY_PREFIX goes into BullMQ's
 * key prefix instead: every queue key starts with `deps.queuePrefix`.
 */
export const RECONCILE_QUEUE = 'reconcile-accounts';
export const SILENT_RELEASE_QUEUE = 'release-silent-bindings';

/** A scheduled run carries no data: the job's state (the walk) lives with the job. */
const scheduledJobData = z.object({}).strict();

export interface ScheduledQueue {
  queue: Queue;
  worker: Worker;
}

export interface RunningQueues {
  reconcile: ScheduledQueue;
  silentRelease: ScheduledQueue;
  /** Every queue this process works, for the depth gauges (metrics-app.ts). */
  all: readonly Queue[];
  /** Lets a job in progress finish (the signal given to startQueues cuts it short), then closes. */
  close(): Promise<void>;
}

/** One repeatable job every `everyMs`, run by one Worker at a time. */
async function startScheduled(deps: WorkerDeps, name: string, everyMs: number, run: () => Promise<unknown>): Promise<ScheduledQueue> {
  const { logger } = deps;
  const connection = deps.queueConnection;
  const prefix = deps.queuePrefix;
  const queue = new Queue(name, { connection, prefix });
  queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'queue error'));
  // Idempotent: every worker process upserts the same scheduler, and a changed interval replaces the old one.
  await queue.upsertJobScheduler(
    name,
    { every: everyMs },
    {
      name,
      data: {},
      // A failed run is not retried: the next one comes within an interval.
      opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
    },
  );
  const worker = new Worker(
    name,
    async (job: Job) => {
      scheduledJobData.parse(job.data);
      return run();
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('error', (error) => logger.warn({ err: error, queue: name }, 'worker error'));
  worker.on('failed', (job, error) => logger.error({ err: error, queue: name, jobId: job?.id }, 'job failed'));
  return { queue, worker };
}

export async function startQueues(
  deps: WorkerDeps,
  options: { signal: AbortSignal; reconcile?: Partial<Omit<ReconcileOptions, 'nowSeconds' | 'signal'>> },
): Promise<RunningQueues> {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const reconcile = await startScheduled(deps, RECONCILE_QUEUE, deps.config.reconcileIntervalSeconds * 1000, () =>
    reconcileAccounts(deps.reconcile, { ...RECONCILE_DEFAULTS, ...options.reconcile, nowSeconds: nowSeconds(), signal: options.signal }),
  );
  const silentRelease = await startScheduled(deps, SILENT_RELEASE_QUEUE, SILENT_RELEASE_INTERVAL_SECONDS * 1000, () =>
    releaseSilentBindings(deps.silentRelease, { nowSeconds: nowSeconds() }),
  );
  return {
    reconcile,
    silentRelease,
    all: [reconcile.queue, silentRelease.queue],
    async close() {
      for (const { worker, queue } of [reconcile, silentRelease]) {
        await worker.close();
        await queue.close();
      }
    },
  };
}

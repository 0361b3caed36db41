import { Queue, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import type { WorkerDeps } from './deps';
import { RECONCILE_DEFAULTS, reconcileAccounts, type ReconcileOptions, type ReconcileSummary } from './jobs/reconcile-accounts';

/**
 * The worker's queues: each has its name, its schedule and one BullMQ Worker
 * that turns a job into a call of a plain job function (services/worker/src/jobs).
 * Queue names cannot hold ':' (BullMQ), so REDIS_KEY_PREFIX goes into BullMQ's
 * key prefix instead: every queue key starts with `deps.queuePrefix`.
 */
export const RECONCILE_QUEUE = 'reconcile-accounts';

/** A scheduled run carries no data: the job's state (the walk) lives with the job. */
const reconcileJobData = z.object({}).strict();

export interface RunningQueues {
  reconcileQueue: Queue;
  reconcileWorker: Worker;
  /** Lets a job in progress finish (the signal given to startQueues cuts it short), then closes. */
  close(): Promise<void>;
}

export async function startQueues(
  deps: WorkerDeps,
  options: { signal: AbortSignal; reconcile?: Partial<Omit<ReconcileOptions, 'nowSeconds' | 'signal'>> },
): Promise<RunningQueues> {
  const { logger } = deps;
  const connection = deps.queueConnection;
  const prefix = deps.queuePrefix;

  const reconcileQueue = new Queue(RECONCILE_QUEUE, { connection, prefix });
  reconcileQueue.on('error', (error) => logger.warn({ err: error, queue: RECONCILE_QUEUE }, 'queue error'));
  // Idempotent: every worker process upserts the same scheduler, and a changed interval replaces the old one.
  await reconcileQueue.upsertJobScheduler(
    RECONCILE_QUEUE,
    { every: deps.config.reconcileIntervalSeconds * 1000 },
    {
      name: RECONCILE_QUEUE,
      data: {},
      // A failed run is not retried: the next one comes within an interval and goes on from the saved walk.
      opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
    },
  );

  const reconcileWorker = new Worker(
    RECONCILE_QUEUE,
    async (job: Job): Promise<ReconcileSummary> => {
      reconcileJobData.parse(job.data);
      return reconcileAccounts(deps.reconcile, {
        ...RECONCILE_DEFAULTS,
        ...options.reconcile,
        nowSeconds: Math.floor(Date.now() / 1000),
        signal: options.signal,
      });
    },
    { connection, prefix, concurrency: 1 },
  );
  reconcileWorker.on('error', (error) => logger.warn({ err: error, queue: RECONCILE_QUEUE }, 'worker error'));
  reconcileWorker.on('failed', (job, error) => logger.error({ err: error, queue: RECONCILE_QUEUE, jobId: job?.id }, 'job failed'));

  return {
    reconcileQueue,
    reconcileWorker,
    async close() {
      await reconcileWorker.close();
      await reconcileQueue.close();
    },
  };
}

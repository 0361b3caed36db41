import { Queue, Worker, type Job } from 'bullmq';
import { z } from 'zod';
import { SILENT_RELEASE_INTERVAL_SECONDS } from '#shared/domain/silent-release';
import type { WorkerDeps } from './deps';
import { deliverDue } from './jobs/deliver-webhook';
import { dispatchWebhooks } from './jobs/dispatch-webhooks';
import { RECONCILE_DEFAULTS, reconcileAccounts, type ReconcileOptions } from './jobs/reconcile-accounts';
import { releaseSilentBindings } from './jobs/release-silent-bindings';
import { createWebhookSender } from './webhooks/send-webhook';

/**
 * The worker's queues: each has its name, its schedule and BullMQ Workers
 * that turn a job into a call of a plain job function (services/worker/src/jobs).
 * Queue names cannot hold ':' (BullMQ), so REDIS_KEY_PREFIX goes into BullMQ's
 * key prefix instead: every queue key starts with `deps.queuePrefix`.
 */
export const RECONCILE_QUEUE = 'reconcile-accounts';
export const SILENT_RELEASE_QUEUE = 'release-silent-bindings';
export const WEBHOOK_DISPATCH_QUEUE = 'webhook-dispatch';
export const WEBHOOK_DELIVERY_QUEUE = 'webhook-delivery';
export const WEBHOOK_EXPIRY_QUEUE = 'webhook-expiry-notices';

/** A scheduled run carries no data: the job's state (the walk) lives with the job. */
const scheduledJobData = z.object({}).strict();
const deliveryJobData = z.strictObject({ endpointId: z.number().int().positive() });

/** The contract's "no answer within 15 s". */
export const WEBHOOK_TIMEOUT_MS = 15_000;
/** The dispatcher looks for due deliveries this often. */
const DISPATCH_INTERVAL_MS = 1000;
/**
 * account.expiring runs hourly: the (account, day) key announces each account
 * once a UTC day, and an hourly run means a worker down at midnight still
 * announces that day.
 */
const EXPIRY_INTERVAL_MS = 3_600_000;
const DELIVERY_CONCURRENCY = 10;

export interface WebhookQueueOptions {
  /** Tests shorten these; production keeps the defaults. */
  dispatchIntervalMs: number;
  timeoutMs: number;
}

/** BullMQ refuses integer custom job ids; the endpoint's id names its job, so one endpoint is never queued twice at once. */
const deliveryJobId = (endpointId: number) => `endpoint-${endpointId}`;

export interface WorkedQueue {
  queue: Queue;
  worker: Worker;
}

export interface RunningQueues {
  reconcile: WorkedQueue;
  silentRelease: WorkedQueue;
  webhookDelivery: WorkedQueue;
  /** Every queue this process works, for the depth gauges (metrics-app.ts). */
  all: readonly Queue[];
  /** Lets a job in progress finish (the signal given to startQueues cuts it short), then closes. */
  close(): Promise<void>;
}

function worked(deps: WorkerDeps, name: string, run: (job: Job) => Promise<unknown>, concurrency = 1): WorkedQueue {
  const { logger } = deps;
  const connection = deps.queueConnection;
  const prefix = deps.queuePrefix;
  const queue = new Queue(name, { connection, prefix });
  queue.on('error', (error) => logger.warn({ err: error, queue: name }, 'queue error'));
  const worker = new Worker(name, run, { connection, prefix, concurrency });
  worker.on('error', (error) => logger.warn({ err: error, queue: name }, 'worker error'));
  worker.on('failed', (job, error) => logger.error({ err: error, queue: name, jobId: job?.id }, 'job failed'));
  return { queue, worker };
}

/** One repeatable job every `everyMs`, run by one Worker at a time. */
async function scheduled(deps: WorkerDeps, name: string, everyMs: number, run: () => Promise<unknown>): Promise<WorkedQueue> {
  const started = worked(deps, name, async (job) => {
    scheduledJobData.parse(job.data);
    return run();
  });
  // Idempotent: every worker process upserts the same scheduler, and a changed interval replaces the old one.
  await started.queue.upsertJobScheduler(
    name,
    { every: everyMs },
    // A failed run is not retried: the next one comes within an interval.
    { name, data: {}, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } } },
  );
  return started;
}

export async function startQueues(
  deps: WorkerDeps,
  options: {
    signal: AbortSignal;
    reconcile?: Partial<Omit<ReconcileOptions, 'nowSeconds' | 'signal'>>;
    webhooks?: Partial<WebhookQueueOptions>;
  },
): Promise<RunningQueues> {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const webhookOptions: WebhookQueueOptions = {
    dispatchIntervalMs: DISPATCH_INTERVAL_MS,
    timeoutMs: WEBHOOK_TIMEOUT_MS,
    ...options.webhooks,
  };
  const reconcile = await scheduled(deps, RECONCILE_QUEUE, deps.config.reconcileIntervalSeconds * 1000, () =>
    reconcileAccounts(deps.reconcile, { ...RECONCILE_DEFAULTS, ...options.reconcile, nowSeconds: nowSeconds(), signal: options.signal }),
  );
  const silentRelease = await scheduled(deps, SILENT_RELEASE_QUEUE, SILENT_RELEASE_INTERVAL_SECONDS * 1000, () =>
    releaseSilentBindings(deps.silentRelease, { nowSeconds: nowSeconds() }),
  );

  // Webhooks: the dispatcher queues the endpoints with due deliveries it finds in MySQL, a delivery job attempts what is due of one; jobs hold no state, MySQL does.
  const sender = createWebhookSender({
    timeoutMs: webhookOptions.timeoutMs,
    isPrivateAllowed: deps.config.webhooks.isPrivateAllowed,
    nowMs: Date.now,
  });
  const webhookDelivery = worked(
    deps,
    WEBHOOK_DELIVERY_QUEUE,
    async (job) => {
      const { endpointId } = deliveryJobData.parse(job.data);
      return deliverDue(
        {
          deliveries: deps.webhookDeliveries,
          sender,
          metrics: deps.metrics,
          logger: deps.logger,
          retryDelaysSeconds: deps.config.webhooks.retryDelaysSeconds,
          leaseSeconds: webhookOptions.timeoutMs / 1000 + 30,
          random: Math.random,
          nowMs: Date.now,
        },
        endpointId,
      );
    },
    DELIVERY_CONCURRENCY,
  );
  const dispatch = await scheduled(deps, WEBHOOK_DISPATCH_QUEUE, webhookOptions.dispatchIntervalMs, () =>
    dispatchWebhooks({
      deliveries: deps.webhookDeliveries,
      metrics: deps.metrics,
      // Removed once done, so the endpoint can be queued again under the same id.
      enqueue: async (ids) => {
        await webhookDelivery.queue.addBulk(
          ids.map((endpointId) => ({
            name: WEBHOOK_DELIVERY_QUEUE,
            data: { endpointId },
            opts: { jobId: deliveryJobId(endpointId), attempts: 1, removeOnComplete: true, removeOnFail: true },
          })),
        );
      },
    }),
  );
  const expiry = await scheduled(deps, WEBHOOK_EXPIRY_QUEUE, EXPIRY_INTERVAL_MS, async () => {
    const nowMs = Date.now();
    const day = (offsetDays: number) => new Date(nowMs + offsetDays * 86_400_000).toISOString().slice(0, 10);
    return { announced: await deps.expiryNotices.announce({ today: day(0), lastDay: day(deps.config.webhooks.expiryNoticeDays) }) };
  });

  const all = [reconcile, silentRelease, dispatch, webhookDelivery, expiry];
  return {
    reconcile,
    silentRelease,
    webhookDelivery,
    all: all.map(({ queue }) => queue),
    async close() {
      await Promise.all(all.map(({ worker }) => worker.close()));
      await Promise.all(all.map(({ queue }) => queue.close()));
      sender.close();
    },
  };
}

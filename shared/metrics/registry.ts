import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric of the service, defined here. Label values come from closed
 * sets only (route patterns, results, cause codes, store names): never an
 * account, machine code, node id or address.
 */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  outcomes: Record<'registrations' | 'unbindings' | 'verifications', Counter<'result' | 'cause'>>;
  storeFailures: Counter<'store' | 'operation'>;
  /** Set by each service's periodic store ping (shared/storage/store-health.ts): 1 reachable, 0 not. */
  storeUp: Gauge<'store'>;
  redisRefills: Counter<'result'>;
  ledgerDecisions: Counter<never>;
  throttled: Counter<never>;
  throttleFallback: Counter<never>;
  lastSeenDropped: Counter<never>;
  attemptsDropped: Counter<never>;
  reconcileChecked: Counter<'result'>;
  reconcileMismatches: Counter<'reason'>;
  silentReleased: Counter<never>;
  silentReleaseSkipped: Counter<never>;
  /** Set by the worker when it is scraped (services/worker/src/metrics-app.ts); other processes leave it empty. */
  queueJobs: Gauge<'queue' | 'state'>;
  /** Webhook delivery attempts by outcome: delivered, retry, failed (dead letter), gone (410), blocked (address refused). */
  webhookAttempts: Counter<'outcome'>;
  webhookBacklog: Gauge<never>;
}

/** Sampling interval of `nodejs_eventloop_lag_*`: a block shorter than this may fall between samples. */
const EVENT_LOOP_SAMPLE_MS = 50;

export function createMetrics(): Metrics {
  const registry = new Registry();
  // The event-loop lag monitor samples on a timer; prom-client's 10 ms wakes every process 100 times
  // a second (about 1 % of a core idle, and a preempted bcrypt thread each time under load).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const registers = [registry];
  const outcomeCounter = (name: string, help: string) =>
    new Counter({ name: `regcloud_${name}_total`, help, labelNames: ['result', 'cause'] as const, registers });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'regcloud_http_request_duration_seconds',
      help: 'Latency of every answer by route pattern (unmatched for unknown paths), method and status',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    outcomes: {
      registrations: outcomeCounter('registrations', 'Registrations by result and cause code'),
      unbindings: outcomeCounter('unbindings', 'Unbindings by result and cause code'),
      verifications: outcomeCounter('verifications', 'Verifications (heartbeats) by result and cause code'),
    },
    storeFailures: new Counter({
      name: 'regcloud_store_failures_total',
      help: 'Redis or MySQL operations that failed',
      labelNames: ['store', 'operation'] as const,
      registers,
    }),
    storeUp: new Gauge({
      name: 'regcloud_store_up',
      help: 'Whether this process reached the store (redis, mysql, mysql_replica) at its last ping: 1 yes, 0 no',
      labelNames: ['store'] as const,
      registers,
    }),
    redisRefills: new Counter({
      name: 'regcloud_redis_refills_total',
      help: 'Loads of an account from MySQL into Redis',
      labelNames: ['result'] as const,
      registers,
    }),
    ledgerDecisions: new Counter({
      name: 'regcloud_ledger_decisions_total',
      help: 'Registrations the MySQL ledger decided alone because Redis disagreed with it (contention, or a seat refusal the ledger overturned)',
      registers,
    }),
    throttled: new Counter({ name: 'regcloud_login_throttled_total', help: 'Logins refused by failed-login throttling', registers }),
    throttleFallback: new Counter({
      name: 'regcloud_login_throttle_fallback_total',
      help: "Logins counted by this process's own limiter because Redis was unavailable (same limits, per process)",
      registers,
    }),
    lastSeenDropped: new Counter({
      name: 'regcloud_last_seen_dropped_total',
      help: 'Last-seen updates dropped because MySQL was slow or unavailable',
      registers,
    }),
    attemptsDropped: new Counter({
      name: 'regcloud_attempts_dropped_total',
      help: 'Registration and unbinding attempts not recorded because MySQL was slow or unavailable',
      registers,
    }),
    reconcileChecked: new Counter({
      name: 'regcloud_reconcile_accounts_checked_total',
      help: 'Accounts loaded in Redis that the worker compared with MySQL, by result (in-step, mismatch, busy, gone, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    reconcileMismatches: new Counter({
      name: 'regcloud_reconcile_mismatches_total',
      help: 'Accounts whose Redis copy differed from MySQL and were invalidated, by the first difference found',
      labelNames: ['reason'] as const,
      registers,
    }),
    silentReleased: new Counter({
      name: 'regcloud_silent_bindings_released_total',
      help: "Bindings released by the worker because their node was silent for the account's releaseAfterSilentSeconds",
      registers,
    }),
    silentReleaseSkipped: new Counter({
      name: 'regcloud_silent_release_skipped_total',
      help: 'Accounts whose silent bindings were left for the next run because a store could not be read',
      registers,
    }),
    queueJobs: new Gauge({
      name: 'regcloud_queue_jobs',
      help: 'BullMQ jobs per queue and state (waiting, active, delayed, failed), read from Redis when the worker is scraped',
      labelNames: ['queue', 'state'] as const,
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'regcloud_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed, gone, blocked)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookBacklog: new Gauge({
      name: 'regcloud_webhook_pending_deliveries',
      help: 'Webhook deliveries not yet delivered nor failed, as the dispatcher last counted them',
      registers,
    }),
  };
}

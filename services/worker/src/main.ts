import { loadConfig } from '#shared/config/env';
import { runService, stopOnSignals } from '#shared/process/run-service';
import { createWorkerDeps } from './deps';
import { startQueues } from './queues';

/**
 * The worker process: config, connect, one BullMQ Worker per queue with its
 * schedule, graceful stop. It does not migrate: the API owns the schema, and
 * the jobs only read the ledger.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const deps = await createWorkerDeps(config);
  const { logger } = deps;
  const stopJobs = new AbortController();
  const queues = await startQueues(deps, { signal: stopJobs.signal });
  logger.info({ reconcileIntervalSeconds: config.reconcileIntervalSeconds, queuePrefix: deps.queuePrefix }, 'regcloud worker started');

  stopOnSignals({
    logger,
    graceMs: config.shutdownGraceMs,
    what: 'letting the job in progress save its place',
    stop: async () => {
      // Jobs stop between accounts and save their walk; BullMQ then releases the job and its connections.
      stopJobs.abort();
      await queues.close();
      await deps.close();
    },
  });
}

runService('regcloud worker', main);

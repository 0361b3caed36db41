import { loadConfig } from '#shared/config/env';
import { closeServer, createNodeServer, listen } from '#shared/http/node-server';
import { runService, stopOnSignals } from '#shared/process/run-service';
import { createWorkerDeps } from './deps';
import { buildWorkerMetricsApp } from './metrics-app';
import { startQueues } from './queues';

/**
 * The worker process: config, connect, one BullMQ Worker per queue with its
 * schedule, metrics and liveness on WORKER_METRICS_PORT, graceful stop. It does not migrate: the API owns the schema, and
 * the jobs only read the ledger.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const deps = await createWorkerDeps(config);
  const { logger } = deps;
  const stopJobs = new AbortController();
  const queues = await startQueues(deps, { signal: stopJobs.signal });
  const metricsServer = createNodeServer(buildWorkerMetricsApp(deps, queues.all), config.http);
  await listen(metricsServer, config.workerMetricsPort, config.host);
  logger.info({ port: config.workerMetricsPort, host: config.host }, 'regcloud worker metrics listening');
  logger.info({ reconcileIntervalSeconds: config.reconcileIntervalSeconds, queuePrefix: deps.queuePrefix }, 'regcloud worker started');

  stopOnSignals({
    logger,
    graceMs: config.shutdownGraceMs,
    what: 'letting the job in progress save its place',
    stop: async () => {
      // Jobs stop between accounts and save their walk; BullMQ then releases the job and its connections.
      stopJobs.abort();
      await Promise.all([queues.close(), closeServer(metricsServer)]);
      await deps.close();
    },
  });
}

runService('regcloud worker', main);

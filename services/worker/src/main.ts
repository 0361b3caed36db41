import { ConfigError, loadConfig } from '../../../shared/config/env';
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

  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'stopping: letting the job in progress save its place');
    const deadline = setTimeout(() => process.exit(1), config.shutdownGraceMs);
    deadline.unref();
    // Jobs stop between accounts and save their walk; BullMQ then releases the job and its connections.
    stopJobs.abort();
    queues
      .close()
      .then(() => deps.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'could not stop cleanly');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `regcloud worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

import type { Server } from 'node:http';
import { loadConfig } from '#shared/config/env';
import { closeServer, createNodeServer, listen } from '#shared/http/node-server';
import { runService, stopOnSignals } from '#shared/process/run-service';
import { migrate } from '#shared/storage/mysql/migrate';
import { buildApp } from './app';
import { createApiDeps } from './deps';
import { buildMetricsApp } from './metrics-app';
import { DEMO_ACCOUNT, seedDemoAccount } from './seed-demo-account';

/** The public API process: config, migrations, demo account, listen (and metrics on their own port when set), graceful stop. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.migrateOnStart) await migrate(config.mysqlUrl);
  const deps = await createApiDeps(config);
  const { logger } = deps;
  if (config.seedDemoAccount && (await seedDemoAccount(deps.context.accounts, deps.context.passwords, new Date()))) {
    logger.info({ account: DEMO_ACCOUNT.name }, 'created the demo account (see README, "Quick start")');
  }

  const servers: Server[] = [];
  // Metrics first: once the public port answers (probes, tests), they are up too.
  if (config.metricsPort !== undefined) {
    const metrics = createNodeServer(buildMetricsApp(deps), config.http);
    await listen(metrics, config.metricsPort, config.host);
    servers.push(metrics);
    logger.info({ port: config.metricsPort, host: config.host }, 'regcloud metrics listening');
  }
  const api = createNodeServer(buildApp(deps, { serveMetrics: config.metricsPort === undefined }), config.http);
  await listen(api, config.port, config.host);
  servers.push(api);
  logger.info({ port: config.port, host: config.host }, 'regcloud API listening');

  stopOnSignals({
    logger,
    graceMs: config.shutdownGraceMs,
    what: 'finishing requests in flight',
    drain: () => deps.readiness.drain(),
    drainMs: config.shutdownDrainMs,
    stop: async () => {
      await Promise.all(servers.map(closeServer));
      await deps.close();
    },
  });
}

runService('regcloud API', main);

import { once } from 'node:events';
import { loadConfig } from '../../../shared/config/env';
import { runService, stopOnSignals } from '../../../shared/process/run-service';
import { migrate } from '../../../shared/storage/mysql/migrate';
import { buildApp } from './app';
import { createApiDeps } from './deps';
import { DEMO_ACCOUNT, seedDemoAccount } from './seed-demo-account';

/** The public API process: config, migrations, demo account, listen, graceful stop. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.migrateOnStart) await migrate(config.mysqlUrl);
  const deps = await createApiDeps(config);
  const { logger } = deps;
  if (config.seedDemoAccount && (await seedDemoAccount(deps.context.accounts, deps.context.passwords, new Date()))) {
    logger.info({ account: DEMO_ACCOUNT.name }, 'created the demo account (see README, "Quick start")');
  }

  const server = buildApp(deps).listen(config.port, config.host);
  await once(server, 'listening');
  logger.info({ port: config.port, host: config.host }, 'regcloud API listening');

  stopOnSignals({
    logger,
    graceMs: config.shutdownGraceMs,
    what: 'finishing requests in flight',
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await deps.close();
    },
  });
}

runService('regcloud API', main);

import { once } from 'node:events';
import { ConfigError, loadConfig } from '../../../shared/config/env';
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

  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    const deadline = setTimeout(() => process.exit(1), config.shutdownGraceMs);
    deadline.unref();
    server.close(() => {
      deps.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `regcloud API failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

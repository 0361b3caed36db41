import { loadConfig } from '#shared/config/env';
import { closeServer, createNodeServer, listen } from '#shared/http/node-server';
import { runService, stopOnSignals } from '#shared/process/run-service';
import { migrate } from '#shared/storage/mysql/migrate';
import { buildAdminApp } from './app';
import { createAdminServiceDeps } from './server-deps';

/** The staff service process: config, migrations (unless MIGRATE_ON_START=false), listen on ADMIN_HOST:ADMIN_PORT, graceful stop. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.migrateOnStart) await migrate(config.mysqlUrl);
  const deps = await createAdminServiceDeps(config);
  const { logger } = deps;
  const server = createNodeServer(buildAdminApp(deps), config.http);
  await listen(server, config.admin.port, config.admin.host);
  logger.info({ port: config.admin.port, host: config.admin.host }, 'regcloud staff service listening (console at /admin/)');
  if (config.admin.isInsecureCookies) {
    logger.warn(
      'session cookies are sent without Secure (ADMIN_INSECURE_COOKIES, the default on loopback): serve over HTTPS before exposing this port',
    );
  }
  stopOnSignals({
    logger,
    graceMs: config.shutdownGraceMs,
    what: 'finishing staff requests in flight',
    drain: () => deps.readiness.drain(),
    drainMs: config.shutdownDrainMs,
    stop: async () => {
      await closeServer(server);
      await deps.close();
    },
  });
}

runService('regcloud staff service', main);

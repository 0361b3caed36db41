import { loadConfig } from '#shared/config/env';
import { migrate } from '#shared/storage/mysql/migrate';

/** `npm run migrate`: applies pending migrations to MYSQL_URL and exits. */
migrate(loadConfig().mysqlUrl, (line) => console.log(line)).then(
  (applied) => console.log(applied.length === 0 ? 'schema is up to date' : `${applied.length} migration(s) applied`),
  (error: unknown) => {
    console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);

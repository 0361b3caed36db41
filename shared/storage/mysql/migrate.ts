import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { MIGRATIONS_DIR } from '#shared/paths';
import { ensureDatabase } from './pool';

/**
 * Applies `infra/migrations/NNNN_*.sql` in order, each once, recorded in
 * `schema_migrations`. A named lock keeps several processes starting at once
 * from applying the same file twice. Landed files are never edited.
 */
export async function migrate(url: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  await ensureDatabase(url);
  const connection = await mysql.createConnection({ uri: url, multipleStatements: true });
  try {
    const [[lock]] = await connection.query<mysql.RowDataPacket[]>("SELECT GET_LOCK('regcloud_migrate', 60) AS got");
    if (lock?.got !== 1) throw new Error('could not take the migration lock within 60 s');
    await connection.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(255) NOT NULL PRIMARY KEY, applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))',
    );
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT name FROM schema_migrations');
    const applied = new Set(rows.map((row) => String(row.name)));
    const pending = readdirSync(MIGRATIONS_DIR)
      .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file) && !applied.has(file))
      .sort();
    for (const file of pending) {
      await connection.query(readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8'));
      await connection.query('INSERT INTO schema_migrations (name) VALUES (?)', [file]);
      log(`applied migration ${file}`);
    }
    return pending;
  } finally {
    await connection.query("DO RELEASE_LOCK('regcloud_migrate')").catch(() => undefined);
    await connection.end();
  }
}

import { randomBytes } from 'node:crypto';
import { execute, selectRows, type Pool } from './pool';

/**
 * A secret not given in the environment is generated on first start and kept
 * here, so every process of the service (and every restart) derives the same
 * tokens. INSERT IGNORE makes concurrent first starts agree on one value.
 */
export async function loadOrCreateSecret(pool: Pool, name: string): Promise<Buffer> {
  await execute(pool, 'INSERT IGNORE INTO settings (name, value) VALUES (?, ?)', [name, randomBytes(32).toString('base64')]);
  const [row] = await selectRows(pool, 'SELECT value FROM settings WHERE name = ?', [name]);
  if (!row || !Buffer.isBuffer(row.value)) throw new Error(`setting ${name} could not be read back`);
  return Buffer.from(row.value.toString('latin1'), 'base64');
}

import mysql from 'mysql2/promise';
import type { Namespace } from '../settings';
import { openSeedRedis } from './seed';

/**
 * `npm run load -- clean`: drops the load database and every Redis key under
 * the load prefix. Never called between scenarios: a run's data stays for
 * inspection until this is run (or the next full run starts afresh).
 */
export async function clean(ns: Namespace): Promise<{ database: string; keysRemoved: number }> {
  const server = new URL(ns.mysqlUrl);
  server.pathname = '/';
  const connection = await mysql.createConnection({ uri: server.toString() });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${ns.database}\``);
  } finally {
    await connection.end();
  }

  const redis = openSeedRedis(ns);
  let keysRemoved = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns.keyPrefix}*`, 'COUNT', 5000);
      cursor = next;
      // UNLINK frees in the background: a million keys go without stalling Redis.
      if (keys.length > 0) keysRemoved += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return { database: ns.database, keysRemoved };
}

import mysql from 'mysql2/promise';
import type { Namespace } from '../settings';
import { scanEachMaster, unlinkEach } from '#shared/storage/redis/client';
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

  const redis = await openSeedRedis(ns);
  let keysRemoved = 0;
  try {
    // On a cluster, every master holds a share (SCAN sees one server); a page's keys may span slots, so one UNLINK each.
    // UNLINK frees in the background: a million keys go without stalling Redis.
    await scanEachMaster(redis, { pattern: `${ns.keyPrefix}*`, count: 5000 }, async (node, keys) => {
      keysRemoved += await unlinkEach(node, keys);
    });
  } finally {
    redis.disconnect();
  }
  return { database: ns.database, keysRemoved };
}

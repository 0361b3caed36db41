import { guardStore } from '../errors';
import mysql, { type Pool, type PoolConnection, type RowDataPacket, type ResultSetHeader } from 'mysql2/promise';

export type { Pool, PoolConnection };

/** Queries give up after this long, so a hung server becomes a MySQL failure, not a hung request. */
export const QUERY_TIMEOUT_MS = 5000;

export function createPool(options: { url: string; size: number }): Pool {
  return mysql.createPool({
    uri: options.url,
    connectionLimit: options.size,
    // DATE columns stay `YYYY-MM-DD` strings: a certificate date is a calendar day, not an instant.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    enableKeepAlive: true,
    connectTimeout: QUERY_TIMEOUT_MS,
    timezone: 'Z',
  });
}

type Queryable = Pick<Pool, 'query'> | Pick<PoolConnection, 'query'>;
type Params = Array<string | number | null | Array<string | number | Array<string | number | null>>>;

/** Rows of a SELECT, each still `unknown` in shape: callers parse them. */
export async function selectRows(db: Queryable, sql: string, params: Params = []): Promise<RowDataPacket[]> {
  const [rows] = await guardStore('mysql', () => db.query<RowDataPacket[]>({ sql, timeout: QUERY_TIMEOUT_MS }, params));
  return rows;
}

export async function execute(db: Queryable, sql: string, params: Params = []): Promise<ResultSetHeader> {
  const [result] = await guardStore('mysql', () => db.query<ResultSetHeader>({ sql, timeout: QUERY_TIMEOUT_MS }, params));
  return result;
}

/**
 * Runs `work` in one transaction; any throw rolls back (best effort when the
 * connection itself is gone). Failures of MySQL itself surface as
 * StoreFailure('mysql'); what `work` throws passes through unchanged.
 */
export async function inTransaction<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  const connection = await guardStore('mysql', () => pool.getConnection());
  try {
    await execute(connection, 'START TRANSACTION');
    const result = await work(connection);
    await execute(connection, 'COMMIT');
    return result;
  } catch (error) {
    await execute(connection, 'ROLLBACK').catch(() => connection.destroy());
    throw error;
  } finally {
    connection.release();
  }
}

/** Creates the URL's database when missing, so `npm start` and tests need no manual step. */
export async function ensureDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new Error(`MYSQL_URL must name a database ([A-Za-z0-9_]): ${database}`);
  parsed.pathname = '/';
  const connection = await mysql.createConnection({ uri: parsed.toString(), connectTimeout: QUERY_TIMEOUT_MS });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await connection.end();
  }
}

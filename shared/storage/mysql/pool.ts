import { StoreFailure, guardStore } from '../errors';
import mysql, { type Pool, type PoolConnection, type RowDataPacket, type ResultSetHeader } from 'mysql2/promise';

export type { Pool, PoolConnection, ResultSetHeader, RowDataPacket };

/**
 * Defaults of MYSQL_CONNECT_TIMEOUT_MS and MYSQL_QUERY_TIMEOUT_MS: a query
 * gives up after this long, so a hung server becomes a MySQL failure, not a
 * hung request.
 */
export const QUERY_TIMEOUT_MS = 5000;

/** Each pool's query timeout, and each connection's while it is lent out. */
const queryTimeouts = new WeakMap<Pool | PoolConnection, number>();

export function createPool(options: { url: string; size: number; connectTimeoutMs?: number; queryTimeoutMs?: number }): Pool {
  const connectTimeoutMs = options.connectTimeoutMs ?? QUERY_TIMEOUT_MS;
  const queryTimeoutMs = options.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  const pool = mysql.createPool({
    uri: options.url,
    connectionLimit: options.size,
    // DATE columns stay `YYYY-MM-DD` strings: a certificate date is a calendar day, not an instant.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    enableKeepAlive: true,
    connectTimeout: connectTimeoutMs,
    timezone: 'Z',
    // A stack captured per query is the largest cost of mysql2 on the registration path;
    // failures are wrapped in StoreFailure at the call site, which names the operation.
    trace: false,
    // Batches of statements in one round trip (`executeAll`): see `send` for why this is safe here.
    multipleStatements: true,
  });
  // A row lock held elsewhere fails the statement on the server before the client gives up on it;
  // DATETIME columns are written and read in UTC whatever the server's zone.
  pool.pool.on('connection', (connection) => {
    connection.query(`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.floor(queryTimeoutMs / 2000))}, time_zone = '+00:00'`);
  });
  queryTimeouts.set(pool, queryTimeoutMs);
  return pool;
}

type Params = Array<string | number | boolean | Buffer | null | Array<string | number | Array<string | number | null>>>;

/**
 * A connection whose query timed out still has that query in flight on the
 * server: reusing it would queue the next statement behind it (and keep its
 * locks). Such connections are destroyed, never returned to the pool.
 */
const broken = new WeakSet<PoolConnection>();

function isBroken(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const { code, fatal } = error as { code?: unknown; fatal?: unknown };
  return fatal === true || code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

function isPool(db: Pool | PoolConnection): db is Pool {
  return 'getConnection' in db;
}

/** One statement of a batch: constant SQL text, every value a placeholder. */
export interface Statement {
  sql: string;
  params?: Params;
}

/**
 * A transaction's opening statement waits here until its first statement
 * goes, and travels with it: a transaction costs no round trip of its own.
 */
const pendingBegin = new WeakMap<PoolConnection, string>();
/** Connections whose transaction was committed by its last batch (`executeAndCommit`). */
const committed = new WeakSet<PoolConnection>();

/**
 * Sends statements in one round trip and answers each one's result, in
 * order. MySQL runs them one after the other and stops at the first that
 * fails, which fails the call. The pools allow multi-statements for this
 * alone: SQL text is always a constant and every value goes through mysql2's
 * escaping, as it does for a single statement.
 */
async function send(db: PoolConnection, statements: readonly Statement[]): Promise<Array<RowDataPacket[] | ResultSetHeader>> {
  const begin = pendingBegin.get(db);
  pendingBegin.delete(db);
  const sent = begin === undefined ? statements : [{ sql: begin }, ...statements];
  try {
    const [result] = await db.query<RowDataPacket[] | ResultSetHeader>(
      { sql: sent.map((statement) => statement.sql).join(';\n'), timeout: queryTimeouts.get(db) ?? QUERY_TIMEOUT_MS },
      sent.flatMap((statement) => statement.params ?? []),
    );
    const results = sent.length === 1 ? [result] : (result as unknown as Array<RowDataPacket[] | ResultSetHeader>);
    return begin === undefined ? results : results.slice(1);
  } catch (error) {
    if (isBroken(error)) {
      broken.add(db);
      db.destroy();
    }
    throw new StoreFailure('mysql', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

async function run<T extends RowDataPacket[] | ResultSetHeader>(db: Pool | PoolConnection, sql: string, params: Params): Promise<T> {
  if (isPool(db)) return withConnection(db, (connection) => run<T>(connection, sql, params));
  const [result] = await send(db, [{ sql, params }]);
  return result as T;
}

async function withConnection<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  const connection = await guardStore('mysql', () => pool.getConnection());
  const timeout = queryTimeouts.get(pool);
  if (timeout !== undefined) queryTimeouts.set(connection, timeout);
  try {
    return await work(connection);
  } finally {
    if (!broken.has(connection)) connection.release();
  }
}

/** A statement refused for a unique key (ER_DUP_ENTRY): a fact about the data, not a failing server. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof StoreFailure && (error.cause as { code?: unknown } | undefined)?.code === 'ER_DUP_ENTRY';
}

/** Rows of a SELECT, each still `unknown` in shape: callers parse them. */
export function selectRows(db: Pool | PoolConnection, sql: string, params: Params = []): Promise<RowDataPacket[]> {
  return run<RowDataPacket[]>(db, sql, params);
}

export function execute(db: Pool | PoolConnection, sql: string, params: Params = []): Promise<ResultSetHeader> {
  return run<ResultSetHeader>(db, sql, params);
}

/** Resolves when MySQL answers a statement (readiness); a StoreFailure('mysql') otherwise. */
export async function pingMysql(pool: Pool): Promise<void> {
  await selectRows(pool, 'SELECT 1');
}

/** Statements of one connection in one round trip, each one's result in order; see `send`. */
export function executeAll(
  connection: PoolConnection,
  statements: readonly Statement[],
): Promise<Array<RowDataPacket[] | ResultSetHeader>> {
  return send(connection, statements);
}

/**
 * A transaction's last statements and its COMMIT in one round trip (inside
 * `inTransaction`, which then commits nothing more). If the answer is lost,
 * whether it committed is unknown, as for any COMMIT.
 */
export async function executeAndCommit(
  connection: PoolConnection,
  statements: readonly Statement[],
): Promise<Array<RowDataPacket[] | ResultSetHeader>> {
  const results = await send(connection, [...statements, { sql: 'COMMIT' }]);
  committed.add(connection);
  return results.slice(0, statements.length);
}

function transaction<T>(pool: Pool, begin: string, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  return withConnection(pool, async (connection) => {
    pendingBegin.set(connection, begin);
    try {
      const result = await work(connection);
      // A transaction that ran no statement never began; one committed by its last batch is done.
      const hasBegun = !pendingBegin.delete(connection);
      if (hasBegun && !committed.has(connection)) await execute(connection, 'COMMIT');
      return result;
    } catch (error) {
      const hasBegun = !pendingBegin.delete(connection);
      // A broken connection was destroyed, which ends its transaction on the server.
      if (hasBegun && !broken.has(connection)) await execute(connection, 'ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      committed.delete(connection);
    }
  });
}

/**
 * Runs `work` in one transaction; any throw rolls back. Failures of MySQL
 * itself surface as StoreFailure('mysql'); what `work` throws passes through.
 */
export function inTransaction<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  return transaction(pool, 'START TRANSACTION', work);
}

/** A read-only transaction that sees one consistent snapshot of the database. */
export function inSnapshot<T>(pool: Pool, work: (connection: PoolConnection) => Promise<T>): Promise<T> {
  return transaction(pool, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY', work);
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

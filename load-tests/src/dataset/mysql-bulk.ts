import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { SEED_APP_VERSION, SEED_MAX_REGISTRATIONS } from '../settings';
import { accountName, type SeedNode } from './naming';

/**
 * The MySQL half of seeding: multi-row INSERTs of a few thousand rows on
 * dedicated connections with foreign-key and unique checks off for the
 * session (the seeder's rows are unique and their accounts exist by
 * construction). The service's own tables and columns, no API involved.
 */
export interface SeededBinding {
  accountId: number;
  node: SeedNode;
  nonce: string;
}

export async function openBulkConnection(mysqlUrl: string): Promise<Connection> {
  const connection = await mysql.createConnection({ uri: mysqlUrl, dateStrings: true, timezone: 'Z' });
  // UTC like the service's sessions, so FROM_UNIXTIME writes the instant the service would.
  await connection.query("SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = '+00:00'");
  return connection;
}

/** The highest seeded account number: seeding resumes after it. */
export async function seededAccountCount(connection: Connection): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>("SELECT COALESCE(MAX(id), 0) AS n FROM accounts WHERE name LIKE 'load-%'");
  return Number(rows[0]?.n ?? 0);
}

export async function countBindings(connection: Connection): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings');
  return Number(rows[0]?.n ?? 0);
}

export async function insertAccounts(
  connection: Connection,
  from: number,
  to: number,
  shared: { passwordHash: string; expiresAt: string },
): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  for (let n = from; n <= to; n++) {
    rows.push([
      n,
      accountName(n),
      shared.passwordHash,
      'active',
      SEED_APP_VERSION,
      shared.expiresAt,
      SEED_MAX_REGISTRATIONS,
      '[]',
      '[]',
      '[]',
    ]);
  }
  await connection.query(
    `INSERT INTO accounts (id, name, password_hash, status, version, expires_at, max_registrations, allowed_ips, allowed_domains, allowed_app_names)
     VALUES ?`,
    [rows],
  );
}

export async function insertBindings(connection: Connection, bindings: readonly SeededBinding[], lastSeenSeconds: number): Promise<void> {
  const rows = bindings.map(({ accountId, node, nonce }) => [
    accountId,
    node.machineCode,
    nonce,
    node.nodeId,
    node.ip,
    node.domain,
    node.appName,
    node.mac,
    SEED_APP_VERSION,
    lastSeenSeconds,
  ]);
  // last_seen_at as the service would have persisted it: nodes seeded as recently seen.
  const values = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?))').join(',');
  await connection.query(
    `INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, domain, app_name, mac, app_version, last_seen_at) VALUES ${values}`,
    rows.flat(),
  );
}

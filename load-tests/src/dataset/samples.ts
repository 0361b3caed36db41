import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import type { TokenCodec } from '#shared/security/binding-token';
import { accountName } from './naming';
import { seededAccountCount } from './mysql-bulk';

/**
 * What the scenarios send, read back from the ledger: bindings with their
 * tokens (derived with the service's own token codec under the run's
 * TOKEN_SECRET) and whole clusters as they were registered.
 */
export interface BoundMachine {
  accountId: number;
  machineCode: string;
  token: string;
}

export interface ClusterNode {
  nodeId: string;
  machineCode: string;
  ip: string;
  domain: string | null;
  appName: string;
  mac: string | null;
  token: string;
}

export interface Cluster {
  accountId: number;
  account: string;
  nodes: ClusterNode[];
}

export function openReader(mysqlUrl: string): Promise<Connection> {
  return mysql.createConnection({ uri: mysqlUrl, dateStrings: true });
}

export { seededAccountCount };

/** Fisher–Yates, in place: bodies are visited in random order so runs do not walk the keyspace in insertion order. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** `count` distinct account numbers drawn uniformly from 1..accounts. */
function randomAccounts(accounts: number, count: number): number[] {
  if (count >= accounts) return shuffle(Array.from({ length: accounts }, (_, i) => i + 1));
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(1 + Math.floor(Math.random() * accounts));
  return [...chosen];
}

async function bindingsOf(db: Connection, accountIds: readonly number[]): Promise<RowDataPacket[]> {
  const rows: RowDataPacket[] = [];
  for (let start = 0; start < accountIds.length; start += 2_000) {
    const [chunk] = await db.query<RowDataPacket[]>(
      'SELECT account_id, machine_code, nonce, node_id, ip, domain, app_name, mac FROM bindings WHERE account_id IN (?) ORDER BY account_id, id',
      [accountIds.slice(start, start + 2_000)],
    );
    rows.push(...chunk);
  }
  return rows;
}

/**
 * About `count` bound machines from accounts drawn uniformly over the whole
 * data set (all of them when it is smaller), in random order.
 */
export async function sampleBoundMachines(db: Connection, tokens: TokenCodec, count: number): Promise<BoundMachine[]> {
  const accounts = await seededAccountCount(db);
  const [[total]] = await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings');
  const perAccount = Math.max(1, Number(total?.n ?? 0) / Math.max(accounts, 1));
  const rows = await bindingsOf(db, randomAccounts(accounts, Math.ceil(count / perAccount)));
  return shuffle(
    rows.map((row) => {
      const accountId = Number(row.account_id);
      const machineCode = String(row.machine_code);
      return { accountId, machineCode, token: tokens.derive(accountId, String(row.nonce), machineCode) };
    }),
  );
}

/** `count` whole clusters (every binding of an account), for re-registration. */
export async function sampleClusters(db: Connection, tokens: TokenCodec, count: number): Promise<Cluster[]> {
  const ids = randomAccounts(await seededAccountCount(db), count);
  const clusters = new Map<number, Cluster>(ids.map((id) => [id, { accountId: id, account: accountName(id), nodes: [] }]));
  for (const row of await bindingsOf(db, ids)) {
    const accountId = Number(row.account_id);
    const machineCode = String(row.machine_code);
    clusters.get(accountId)?.nodes.push({
      nodeId: String(row.node_id),
      machineCode,
      ip: String(row.ip),
      domain: row.domain === null ? null : String(row.domain),
      appName: String(row.app_name),
      mac: row.mac === null ? null : String(row.mac),
      token: tokens.derive(accountId, String(row.nonce), machineCode),
    });
  }
  // A cluster the register scenario grew past the contract's 256 nodes cannot be sent in one request.
  return shuffle([...clusters.values()].filter((cluster) => cluster.nodes.length >= 1 && cluster.nodes.length <= 256));
}

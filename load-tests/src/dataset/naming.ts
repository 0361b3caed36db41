import { createHash } from 'node:crypto';
import { BINDINGS_PER_ACCOUNT } from '../settings';

/**
 * The seeded data set, as pure functions of an account number: account n is
 * `load-n` with MySQL id n, and its nodes are numbered 0..size-1. Everything
 * is derived, not stored, so seeding can resume (top up) and the scenarios
 * can rebuild a cluster's request without reading it back. Only the nonces
 * are random (createNonce, as the service makes them): they are read back
 * from MySQL when a scenario needs tokens.
 */
export const ACCOUNT_NAME_PREFIX = 'load-';

export function accountName(n: number): string {
  return `${ACCOUNT_NAME_PREFIX}${n}`;
}

/**
 * Cluster sizes from 1 to 19 nodes, paired so that accounts 2m-1 and 2m hold
 * 20 nodes together: any even number of accounts holds exactly 10 per account
 * (100 accounts = 1,000 bindings; 100,000 = 1,000,000).
 */
export function clusterSize(n: number): number {
  const pair = Math.ceil(n / 2);
  const first = 1 + (pair % 19);
  return n % 2 === 1 ? first : 2 * BINDINGS_PER_ACCOUNT - first;
}

export function accountsFor(bindings: number): number {
  const accounts = Math.ceil(bindings / BINDINGS_PER_ACCOUNT);
  return accounts + (accounts % 2);
}

/** A realistic machine code: 32 hex characters (an MD5-sized hardware fingerprint). */
export function machineCode(n: number, node: number): string {
  return createHash('md5').update(`regcloud-load:${n}:${node}`).digest('hex');
}

export interface SeedNode {
  nodeId: string;
  machineCode: string;
  ip: string;
  domain: string;
  appName: string;
  mac: string;
}

export function seedNode(n: number, node: number): SeedNode {
  const code = machineCode(n, node);
  return {
    nodeId: `node-${n}-${node}`,
    machineCode: code,
    ip: `10.${(n >> 8) & 255}.${n & 255}.${node + 1}`,
    domain: `n${node}.acct${n}.example.com`,
    appName: 'webroot',
    mac: `02:${code.slice(0, 2)}:${code.slice(2, 4)}:${code.slice(4, 6)}:${code.slice(6, 8)}:${code.slice(8, 10)}`,
  };
}

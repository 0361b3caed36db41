import { createTokenCodec, type TokenCodec } from '#shared/security/binding-token';
import type { Connection } from 'mysql2/promise';
import { loadConfig } from '#shared/config/env';
import { openReader } from '../dataset/samples';
import { runLoad, type LoadResult, type LoadSpec } from '../load/run-load';
import { sampleCpu, findServerPids, waitForQuiet, type CpuReport, type StorePids } from '../measure/cpu';
import { apiEnvironment, startApi, type ApiProcess } from '../processes/api';
import { TOKEN_SECRET, type Durations, type Namespace } from '../settings';

/**
 * What every scenario needs: the API under test (its own process), a MySQL
 * connection for reading back bodies, the run's token codec and durations,
 * and the pids whose CPU is counted during each measurement.
 */
export interface Harness {
  ns: Namespace;
  durations: Durations;
  api: ApiProcess;
  db: Connection;
  tokens: TokenCodec;
  bcryptCost: number;
  storePids: StorePids;
  log(line: string): void;
}

export type Measured = LoadResult & { cpu: CpuReport; quiet: Quiet };
export type Quiet = Awaited<ReturnType<typeof waitForQuiet>>;

export function log(line: string): void {
  console.error(`[load ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** The bcrypt cost the API runs with, read through the service's own config loader from the same environment. */
export function configuredBcryptCost(ns: Namespace): number {
  return loadConfig({ ...process.env, ...apiEnvironment(ns, 0) }).bcryptCost;
}

export async function openHarness(ns: Namespace, durations: Durations): Promise<Harness> {
  const api = await startApi(ns);
  const db = await openReader(ns.mysqlUrl);
  return {
    ns,
    durations,
    api,
    db,
    tokens: createTokenCodec(Buffer.from(TOKEN_SECRET, 'utf8')),
    bcryptCost: configuredBcryptCost(ns),
    storePids: findServerPids(),
    log,
  };
}

export async function closeHarness(harness: Harness): Promise<void> {
  await harness.db.end();
  await harness.api.stop();
}

/** One load run with the CPU of the API (or `target`), the stores and the load generator counted alongside. */
export async function measure(
  harness: Harness,
  spec: LoadSpec,
  target: Record<string, number> = { api: harness.api.pid },
): Promise<Measured> {
  const quiet = await waitForQuiet(harness.durations.quietWaitSeconds);
  const cpu = sampleCpu({ ...target, ...harness.storePids }, Object.keys(target));
  const result = await runLoad(spec);
  return { ...result, cpu: cpu.stop(), quiet };
}

/** The `n` of a `SELECT COUNT(*) AS n …`. */
export async function countOf(harness: Harness, sql: string, params: Array<string | number> = []): Promise<number> {
  const [rows] = await harness.db.query(sql, params);
  const first: unknown = Array.isArray(rows) ? rows[0] : undefined;
  return typeof first === 'object' && first !== null && 'n' in first ? Number(first.n) : 0;
}

export function bindingCount(harness: Harness): Promise<number> {
  return countOf(harness, 'SELECT COUNT(*) AS n FROM bindings');
}

/** CPU time (all threads) the named process spent per answered request, in microseconds. */
export function microsecondsPerRequest(run: Measured, process: string): number {
  return (((run.cpu[process] ?? Number.NaN) / 100) * run.seconds * 1e6) / Math.max(run.requests, 1);
}

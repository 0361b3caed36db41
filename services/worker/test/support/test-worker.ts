import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Counter } from 'prom-client';
import { RUN_KEY_PREFIX, testConfig } from '#shared/testing/test-environment';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { createWorkerDeps, type WorkerDeps } from '../../src/deps';
import {
  RECONCILE_DEFAULTS,
  reconcileAccounts,
  type ReconcileDeps,
  type ReconcileOptions,
  type ReconcileSummary,
} from '../../src/jobs/reconcile-accounts';

/**
 * An API and a worker over this run's real stores, sharing a Redis key prefix
 * of their own: the worker's walk then sees exactly the accounts its test
 * loaded, never those of the API tests running beside it.
 */
export interface TestPair {
  prefix: string;
  api: TestApi;
  worker: WorkerDeps;
  close(): Promise<void>;
}

export interface BoundNode {
  nodeId: string;
  machineCode: string;
  token: string;
}

export async function startTestPair(overrides: Record<string, string> = {}): Promise<TestPair> {
  const prefix = `${RUN_KEY_PREFIX}w${randomBytes(4).toString('hex')}:`;
  const api = await startTestApi({ REDIS_KEY_PREFIX: prefix, ...overrides });
  const worker = await createWorkerDeps(testConfig({ REDIS_KEY_PREFIX: prefix, ...overrides }));
  return {
    prefix,
    api,
    worker,
    async close() {
      await worker.close();
      await api.close();
    },
  };
}

/** Registers `count` nodes through the API, which also loads the account into Redis. */
export async function bindNodes(api: TestApi, account: TestAccount, count: number): Promise<BoundNode[]> {
  const response = await request(api.app).post('/v1/registrations').send(registrationBody(account, count));
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return (response.body as { nodes: BoundNode[] }).nodes;
}

export function verifyNode(api: TestApi, node: BoundNode) {
  return request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });
}

/** Runs the job until its walk completes a pass (the first run starts one when the last pass completed). */
export async function reconcilePass(
  deps: ReconcileDeps,
  options: Partial<Omit<ReconcileOptions, 'nowSeconds'>> = {},
): Promise<ReconcileSummary[]> {
  const runs: ReconcileSummary[] = [];
  for (let run = 0; run < 5000; run++) {
    runs.push(await reconcileAccounts(deps, { ...RECONCILE_DEFAULTS, ...options, nowSeconds: Math.floor(Date.now() / 1000) }));
    if (runs.at(-1)?.isPassComplete) return runs;
  }
  throw new Error('the walk never completed a pass');
}

export function mismatchesOf(runs: readonly ReconcileSummary[], accountId: number): string[][] {
  return runs.flatMap((run) => run.mismatches.filter((mismatch) => mismatch.accountId === accountId).map((mismatch) => mismatch.reasons));
}

export function totalOf(runs: readonly ReconcileSummary[], result: keyof ReconcileSummary['results']): number {
  return runs.reduce((sum, run) => sum + run.results[result], 0);
}

export async function counterValue<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string>>): Promise<number> {
  const { values } = await counter.get();
  const entries = Object.entries(labels);
  return values
    .filter((value) => entries.every(([name, wanted]) => value.labels[name as L] === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}

import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Job } from 'bullmq';
import type { ReconcileSummary } from '../src/jobs/reconcile-accounts';
import { RECONCILE_QUEUE, startQueues, type RunningQueues } from '../src/queues';
import { bindNodes, startTestPair, type TestPair } from './support/test-worker';
import { scanEachMaster } from '#shared/storage/redis/client';
import { changeAccount } from '#shared/testing/change-account';

describe('worker queues (BullMQ, in-process)', function () {
  let pair: TestPair;
  let queues: RunningQueues | undefined;

  before(async function () {
    pair = await startTestPair({ RECONCILE_INTERVAL_SECONDS: '3600' });
  });
  after(async function () {
    await queues?.close();
    await pair.close();
  });

  it('schedules reconcile-accounts under the configured prefix and runs the first job to completion', async function () {
    const { api, worker } = pair;
    const account = await api.createAccount();
    await bindNodes(api, account, 1);
    const record = await api.deps.context.accounts.findByName(account.name);
    assert.ok(record);
    await changeAccount(api.deps.context.accounts, account.name, { ...record.settings, status: 'disabled' });

    const stopJobs = new AbortController();
    // The shared test Redis holds other runs' keys too: let this one job walk all of them.
    queues = await startQueues(worker, { signal: stopJobs.signal, reconcile: { maxScanCalls: 1_000_000 } });
    const failed = once(queues.reconcile.worker, 'failed').then(([, error]) => {
      throw error instanceof Error ? error : new Error(String(error));
    });
    const completed = once(queues.reconcile.worker, 'completed') as Promise<[Job, ReconcileSummary]>;
    // A scheduler with `every` runs its first job at once.
    const [job, summary] = await Promise.race([completed, failed]);

    assert.equal(job.name, RECONCILE_QUEUE);
    assert.deepEqual(summary.mismatches, [{ accountId: account.id, reasons: ['status'] }]);
    assert.equal(summary.isPassComplete, true);
    const schedulers = await queues.reconcile.queue.getJobSchedulers();
    assert.deepEqual(
      schedulers.map((scheduler) => ({ id: scheduler.key, every: Number(scheduler.every) })),
      [{ id: RECONCILE_QUEUE, every: 3_600_000 }],
    );
    const queueKeys: string[] = [];
    await scanEachMaster(worker.redis, { pattern: `${worker.queuePrefix}:${RECONCILE_QUEUE}:*`, count: 10_000 }, (_node, keys) => {
      queueKeys.push(...keys);
    });
    assert.ok(queueKeys.length > 0, 'BullMQ keys live under REDIS_KEY_PREFIX');
    assert.ok(worker.queuePrefix.startsWith(`${pair.prefix}{`), 'behind a hash tag, so every queue key shares one slot');
  });
});

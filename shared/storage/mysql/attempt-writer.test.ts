import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptRecord } from '#shared/domain/attempt';
import { createAttemptWriter } from './attempt-writer';
import type { Attempts } from './attempts';

/**
 * The buffer alone, in front of a store the test holds: what a slow MySQL
 * does to it is decided here (attempts.test.ts covers the real store).
 */
function attempt(requestId: string, options: { accountId?: number; hasPassedCredentials?: boolean; nodes?: number } = {}): AttemptRecord {
  return {
    accountId: options.accountId ?? 1,
    hasPassedCredentials: options.hasPassedCredentials ?? true,
    at: new Date(),
    kind: 'registration',
    result: 'success',
    status: 200,
    overall: [],
    nodes: Array.from({ length: options.nodes ?? 0 }, (_, i) => ({ nodeId: `n-${i}`, machineCode: `m-${i}`, causes: [] })),
    sourceAddress: '2001:db8::1',
    requestId,
  };
}

function heldStore() {
  const inserted: string[][] = [];
  let release = (): void => undefined;
  let isHeld = false;
  let insertFails = false;
  let pruneFails = false;
  const store: Pick<Attempts, 'insert' | 'prune'> = {
    async insert(batch) {
      inserted.push(batch.map((a) => a.requestId));
      if (isHeld) await new Promise<void>((resolve) => (release = resolve));
      if (insertFails) throw new Error('insert failed');
    },
    prune() {
      return pruneFails ? Promise.reject(new Error('prune failed')) : Promise.resolve();
    },
  };
  return {
    store,
    inserted,
    hold: () => (isHeld = true),
    release: () => {
      isHeld = false;
      release();
    },
    failInserts: () => (insertFails = true),
    failPrunes: () => (pruneFails = true),
  };
}

describe('attempt writer (the buffer between answers and MySQL)', function () {
  const writerOver = (
    store: Pick<Attempts, 'insert' | 'prune'>,
    options: { flushIntervalMs?: number; maxPendingNodes?: number; keptPerAccount?: number } = {},
  ) => {
    const counts = { dropped: 0, errors: 0 };
    const writer = createAttemptWriter(store, {
      flushIntervalMs: options.flushIntervalMs ?? 3_600_000,
      maxPendingNodes: options.maxPendingNodes ?? 1000,
      keptPerAccount: options.keptPerAccount ?? 100,
      onDropped: (count) => (counts.dropped += count),
      onError: () => (counts.errors += 1),
    });
    return { writer, counts };
  };

  it('while a write is stuck, queues no second batch and drops (and counts) what exceeds its bound in nodes', async function () {
    const held = heldStore();
    const { writer, counts } = writerOver(held.store, { flushIntervalMs: 5, maxPendingNodes: 5 });
    writer.record(attempt('first'));
    held.hold();
    const stuck = writer.flush();
    await sleep(1);
    writer.record(attempt('a', { nodes: 2 }));
    writer.record(attempt('b', { nodes: 2 }));
    writer.record(attempt('c', { nodes: 2 }));
    writer.record(attempt('d'));
    await sleep(50);
    assert.deepEqual(held.inserted, [['first']], 'timer ticks during the write add no batch');
    assert.equal(counts.dropped, 1, 'c did not fit: 2 + 2 + 2 nodes > 5');

    held.release();
    await stuck;
    await writer.close();
    assert.deepEqual(held.inserted, [['first'], ['a', 'b', 'd']]);
  });

  it('holds each account’s failed and passed attempts apart, the newest of each up to the kept count, in the order answered', async function () {
    const held = heldStore();
    const { writer, counts } = writerOver(held.store, { keptPerAccount: 2 });
    const failed = { hasPassedCredentials: false };
    writer.record(attempt('p1'));
    writer.record(attempt('f1', failed));
    writer.record(attempt('f2', failed));
    writer.record(attempt('other', { accountId: 2, hasPassedCredentials: false }));
    writer.record(attempt('f3', failed));
    writer.record(attempt('p2'));
    await writer.close();
    assert.deepEqual(held.inserted, [['p1', 'f2', 'other', 'f3', 'p2']]);
    assert.equal(counts.dropped, 0, 'what retention would prune anyway is no drop');
  });

  it('counts a batch whose insert failed as dropped, and a failed pruning as an error only', async function () {
    const held = heldStore();
    const { writer, counts } = writerOver(held.store);
    held.failPrunes();
    writer.record(attempt('kept'));
    await writer.flush();
    assert.deepEqual(counts, { dropped: 0, errors: 1 });
    held.failInserts();
    writer.record(attempt('lost-1'));
    writer.record(attempt('lost-2'));
    await writer.close();
    assert.deepEqual(counts, { dropped: 2, errors: 2 });
  });
});

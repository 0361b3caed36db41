import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { PENDING_TTL_SECONDS } from '#shared/storage/binding-store';
import { SILENT_LAST_SEEN_SECONDS } from '#shared/domain/silent-release';
import { bindingDigest } from '#shared/storage/mysql/ledger-summaries';
import { decodeBindingRecord, encodeBindingRecord } from '#shared/storage/redis/binding-record';
import { accountIdOfStateKey, accountKeys, walkStateKey } from '#shared/storage/redis/keys';
import type { RedisCopy } from '#shared/storage/redis/loaded-accounts';
import { expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import type { TestAccount } from '#shared/testing/test-api';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { RECONCILE_DEFAULTS, differences, reconcileAccounts, type LedgerView, type ReconcileDeps } from '../src/jobs/reconcile-accounts';
import {
  bindNodes,
  counterValue,
  mismatchesOf,
  reconcilePass,
  startTestPair,
  totalOf,
  verifyNode,
  type TestPair,
} from './support/test-worker';
import { changeAccount } from '#shared/testing/change-account';

describe('reconcile-accounts job', function () {
  let pair: TestPair;
  let db: mysql.Connection;
  const keysOf = (account: TestAccount) => accountKeys(pair.prefix, account.id);
  const isLoaded = async (account: TestAccount) => (await pair.worker.redis.exists(keysOf(account).state)) === 1;

  before(async function () {
    pair = await startTestPair();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await pair.close();
  });

  describe('differences it repairs', function () {
    it('invalidates an account whose status staff changed in MySQL without an invalidation; the API then answers with the new status', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      const [node] = await bindNodes(api, account, 1);
      assert.ok(node);
      const record = await api.deps.context.accounts.findByName(account.name);
      assert.ok(record);
      // The staff change commits; its Redis invalidation is the step that "failed".
      await changeAccount(api.deps.context.accounts, account.name, { ...record.settings, status: 'frozen' });
      assert.equal((await verifyNode(api, node)).status, 200, 'before the job, Redis still answers with the old status');
      const mismatchesBefore = await counterValue(worker.metrics.reconcileMismatches, { reason: 'status' });

      const runs = await reconcilePass(worker.reconcile);

      assert.deepEqual(mismatchesOf(runs, account.id), [['status']]);
      assert.equal(await isLoaded(account), false, 'the account was dropped from Redis');
      assert.equal(await counterValue(worker.metrics.reconcileMismatches, { reason: 'status' }), mismatchesBefore + 1);
      expectOverall(await verifyNode(api, node), 403, ['ABNORMAL_ACCOUNT_STATUS']);
    });

    it('invalidates an account whose binding was deleted in MySQL behind Redis’s back (count differs)', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      const [released, kept] = await bindNodes(api, account, 2);
      assert.ok(released && kept);
      await db.query('DELETE FROM bindings WHERE account_id = ? AND machine_code = ?', [account.id, released.machineCode]);
      assert.equal((await verifyNode(api, released)).status, 200, 'before the job, Redis still holds the deleted binding');

      const runs = await reconcilePass(worker.reconcile);

      assert.deepEqual(mismatchesOf(runs, account.id), [['binding-count']]);
      expectNodeCauses(await verifyNode(api, released), 409, { [released.machineCode]: ['NOT_BOUND'] });
      assert.equal((await verifyNode(api, kept)).status, 200, 'the node still bound keeps its token across the reload');
      assert.deepEqual(await pair.worker.redis.hkeys(keysOf(account).bindings), [kept.machineCode]);
    });

    it('invalidates a copy loaded before the silent-seat release was set, so heartbeats record last-seen as often as it needs', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      const [node] = await bindNodes(api, account, 1);
      assert.ok(node);
      assert.equal(await worker.redis.hget(keysOf(account).state, 'lastSeenEvery'), '0');
      // A staff change committed in MySQL whose Redis invalidation failed.
      await db.query('UPDATE accounts SET release_after_silent_seconds = 60 WHERE id = ?', [account.id]);

      const runs = await reconcilePass(worker.reconcile);

      assert.deepEqual(mismatchesOf(runs, account.id), [['last-seen-every']]);
      assert.equal((await verifyNode(api, node)).status, 200);
      assert.equal(await worker.redis.hget(keysOf(account).state, 'lastSeenEvery'), String(SILENT_LAST_SEEN_SECONDS));
    });

    it('invalidates an account whose bindings differ at the same count (digest differs)', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      const [moved, kept] = await bindNodes(api, account, 2);
      assert.ok(moved && kept);
      await db.query('UPDATE bindings SET machine_code = ? WHERE account_id = ? AND machine_code = ?', [
        `${moved.machineCode}-elsewhere`,
        account.id,
        moved.machineCode,
      ]);

      const runs = await reconcilePass(worker.reconcile);

      assert.deepEqual(mismatchesOf(runs, account.id), [['binding-set']]);
      expectNodeCauses(await verifyNode(api, moved), 409, { [moved.machineCode]: ['NOT_BOUND'] });
      assert.equal((await verifyNode(api, kept)).status, 200);
    });

    it('invalidates an account holding a binding record it cannot read, even with the right nonce in it; the reload rewrites the record', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      const [node] = await bindNodes(api, account, 1);
      assert.ok(node);
      const bindingsKey = keysOf(account).bindings;
      const record = decodeBindingRecord((await worker.redis.hget(bindingsKey, node.machineCode)) ?? '');
      assert.ok(record);
      // The nonce is intact, the seconds after it are not a number: verify-binding.lua cannot read them.
      await worker.redis.hset(bindingsKey, node.machineCode, `${record.nonce}x`);

      const runs = await reconcilePass(worker.reconcile);

      assert.deepEqual(mismatchesOf(runs, account.id), [['binding-set']]);
      assert.equal((await verifyNode(api, node)).status, 200, 'the node keeps its token across the reload');
      assert.equal(decodeBindingRecord((await worker.redis.hget(bindingsKey, node.machineCode)) ?? '')?.nonce, record.nonce);
    });
  });

  describe('copies it leaves alone', function () {
    it('leaves an account in step loaded', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      const nodes = await bindNodes(api, account, 3);
      const checkedBefore = await counterValue(worker.metrics.reconcileChecked, { result: 'in-step' });

      const runs = await reconcilePass(worker.reconcile);

      assert.deepEqual(mismatchesOf(runs, account.id), []);
      assert.equal(await isLoaded(account), true, 'the state key still exists');
      assert.equal(await pair.worker.redis.hlen(keysOf(account).bindings), nodes.length);
      assert.ok((await counterValue(worker.metrics.reconcileChecked, { result: 'in-step' })) > checkedBefore);
    });

    it('accepts a binding MySQL committed that Redis still holds as a live reservation, but not once the reservation is dead', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      await bindNodes(api, account, 1);
      const keys = keysOf(account);
      // A registration between its MySQL commit and its Redis commit-bindings step:
      // reserved in `pending` (bind-nodes.lua), committed in the ledger with the revision bumped.
      const machineCode = 'mid-registration';
      const nonce = 'ABCDEFGHIJKLMNOP';
      await worker.redis.hset(keys.pending, machineCode, encodeBindingRecord({ nonce, seconds: Math.floor(Date.now() / 1000) }));
      await db.query(
        `INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, domain, app_name, mac, app_version)
         VALUES (?, ?, ?, 'node-9', '203.0.113.7', NULL, 'webroot', NULL, '11.0')`,
        [account.id, machineCode, nonce],
      );
      await db.query('UPDATE accounts SET revision = revision + 1 WHERE id = ?', [account.id]);

      const live = await reconcilePass(worker.reconcile);
      assert.deepEqual(mismatchesOf(live, account.id), [], 'a committed registration not yet moved in Redis is no difference');
      assert.equal(await isLoaded(account), true);

      // The request died before commit-bindings and its fallback failed too: the reservation ages out.
      await worker.redis.hset(
        keys.pending,
        machineCode,
        encodeBindingRecord({ nonce, seconds: Math.floor(Date.now() / 1000) - PENDING_TTL_SECONDS - 1 }),
      );
      const dead = await reconcilePass(worker.reconcile);
      assert.deepEqual(mismatchesOf(dead, account.id), [['binding-count']]);
      assert.equal(await isLoaded(account), false);
    });

    it('leaves an account that changes while it is compared for the next pass, and finds it in step then', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      await bindNodes(api, account, 1);
      // A real registration lands between the job's MySQL read and its Redis read:
      // Redis then holds one binding more than what was read from the ledger.
      let hasRaced = false;
      const ledger = worker.reconcile.ledger;
      const racing: ReconcileDeps = {
        ...worker.reconcile,
        ledger: {
          ...ledger,
          async summarize(accountId, options) {
            const summary = await ledger.summarize(accountId, options);
            if (accountId === account.id && !hasRaced) {
              hasRaced = true;
              await bindNodes(api, account, 1);
            }
            return summary;
          },
        },
      };

      const runs = await reconcilePass(racing);
      assert.ok(hasRaced);
      assert.deepEqual(mismatchesOf(runs, account.id), [], 'a difference a request in flight explains is not invalidated');
      assert.ok(totalOf(runs, 'busy') >= 1);
      assert.equal(await isLoaded(account), true);

      const next = await reconcilePass(worker.reconcile);
      assert.deepEqual(mismatchesOf(next, account.id), []);
      assert.equal(await pair.worker.redis.hlen(keysOf(account).bindings), 2);
    });
  });

  describe('the walk', function () {
    let small: TestPair;
    before(async function () {
      small = await startTestPair();
    });
    after(async function () {
      await small.close();
    });

    it('checks at most maxAccounts per run, keeps the rest for later runs, and covers every loaded account in one pass', async function () {
      const accounts: TestAccount[] = [];
      for (let i = 0; i < 7; i++) {
        const account = await small.api.createAccount();
        await bindNodes(small.api, account, 1);
        // Out of step, so each run's summary names the accounts it checked.
        await db.query("UPDATE accounts SET expires_at = '2098-01-01' WHERE id = ?", [account.id]);
        accounts.push(account);
      }
      const maxAccounts = 3;
      const maxScanCalls = 4;

      const runs = await reconcilePass(small.worker.reconcile, { maxAccounts, maxScanCalls, scanCount: 50 });

      for (const run of runs) {
        assert.ok(run.checked <= maxAccounts, `a run checked ${run.checked} accounts`);
        assert.ok(run.scanCalls <= maxScanCalls, `a run made ${run.scanCalls} SCAN calls`);
      }
      const invalidated = runs.flatMap((run) => run.mismatches.map((mismatch) => mismatch.accountId));
      assert.deepEqual(
        [...invalidated].sort((a, b) => a - b),
        accounts.map((account) => account.id).sort((a, b) => a - b),
      );
      assert.ok(runs.filter((run) => run.checked > 0).length >= Math.ceil(accounts.length / maxAccounts));
      for (const account of accounts) {
        assert.equal(await small.worker.redis.exists(accountKeys(small.prefix, account.id).state), 0);
      }
      assert.deepEqual(JSON.parse((await small.worker.redis.get(walkStateKey(small.prefix))) ?? 'null'), { cursor: '0', backlog: [] });
    });

    it('stops between accounts when its signal is aborted, keeping the unchecked ones for the next run', async function () {
      const account = await small.api.createAccount();
      await bindNodes(small.api, account, 1);
      const stopped = new AbortController();
      stopped.abort();

      const summary = await reconcileAccounts(small.worker.reconcile, {
        ...RECONCILE_DEFAULTS,
        maxScanCalls: 1_000_000,
        nowSeconds: Math.floor(Date.now() / 1000),
        signal: stopped.signal,
      });

      assert.equal(summary.isStopped, true);
      assert.equal(summary.checked, 0);
      assert.equal(summary.isPassComplete, false);
      const walk = JSON.parse((await small.worker.redis.get(walkStateKey(small.prefix))) ?? 'null') as {
        cursor: string;
        backlog: number[];
      };
      assert.deepEqual(walk, { cursor: '0', backlog: [account.id] });
      const resumed = await reconcilePass(small.worker.reconcile);
      assert.equal(resumed[0]?.scanCalls, 0, 'the backlog of a pass whose SCAN ended is drained before a new pass starts');
      assert.equal(totalOf(resumed, 'in-step'), 1);
    });
  });

  describe('building blocks', function () {
    it('maps state keys back to accounts only when keys.ts builds exactly that key', function () {
      const prefix = 'rc:';
      assert.equal(accountIdOfStateKey(prefix, accountKeys(prefix, 42).state), 42);
      for (const key of [
        'rc:{acct:42}:bindings',
        'rcx:{acct:42}:state',
        'rc:{acct:0}:state',
        'rc:{acct:042}:state',
        'rc:{acct:4}2}:state',
        'rc:{acct:}:state',
      ]) {
        assert.equal(accountIdOfStateKey(prefix, key), null, key);
      }
    });

    describe('differences (pure)', function () {
      const NOW = 1_800_000_000;
      const ledger = (nonces: Record<string, string>, overrides: Partial<LedgerView> = {}): LedgerView => ({
        revision: 7,
        status: 'active',
        expiresAt: '2099-12-31',
        lastSeenEverySeconds: 0,
        bindingCount: Object.keys(nonces).length,
        bindings: { kind: 'list', nonces: new Map(Object.entries(nonces)) },
        ...overrides,
      });
      const copy = (
        bindings: Record<string, string>,
        pending: Record<string, [string, number]> = {},
        overrides: Partial<RedisCopy> = {},
      ): RedisCopy => ({
        status: 'active',
        expiresAt: '2099-12-31',
        revision: 7,
        lastSeenEvery: 0,
        bindingCount: Object.keys(bindings).length,
        bindings: new Map(Object.entries(bindings)),
        pending: new Map(Object.entries(pending).map(([code, [nonce, sinceSeconds]]) => [code, { nonce, sinceSeconds }])),
        ...overrides,
      });
      const live = NOW - 5;
      const dead = NOW - PENDING_TTL_SECONDS - 1;
      const cases: Array<[string, LedgerView, RedisCopy, string[]]> = [
        ['same bindings', ledger({ a: 'n1', b: 'n2' }), copy({ a: 'n1', b: 'n2' }), []],
        ['status and expiry', ledger({}, { status: 'frozen', expiresAt: '2020-01-01' }), copy({}), ['status', 'expires-at']],
        ['silent release set since the copy loaded', ledger({}, { lastSeenEverySeconds: 15 }), copy({}), ['last-seen-every']],
        ['Redis holds a binding the ledger lacks', ledger({ a: 'n1' }), copy({ a: 'n1', b: 'n2' }), ['binding-count']],
        ['committed, still a live reservation', ledger({ a: 'n1', b: 'n2' }), copy({ a: 'n1' }, { b: ['n2', live] }), []],
        ['committed, reservation dead', ledger({ a: 'n1', b: 'n2' }), copy({ a: 'n1' }, { b: ['n2', dead] }), ['binding-count']],
        ['reserved under another nonce', ledger({ a: 'n1', b: 'n2' }), copy({ a: 'n1' }, { b: ['nX', live] }), ['binding-set']],
        ['reserved, not yet committed', ledger({ a: 'n1' }), copy({ a: 'n1' }, { b: ['n2', live] }), []],
        ['same machines, another nonce', ledger({ a: 'n1' }), copy({ a: 'nX' }), ['binding-set']],
        [
          'digest agrees',
          ledger({}, { bindingCount: 1, bindings: { kind: 'digest', digest: bindingDigest([['a', 'n1']]) } }),
          copy({ a: 'n1' }),
          [],
        ],
        [
          'digest differs',
          ledger({}, { bindingCount: 1, bindings: { kind: 'digest', digest: bindingDigest([['b', 'n1']]) } }),
          copy({ a: 'n1' }),
          ['binding-set'],
        ],
      ];
      for (const [name, ledgerView, redisCopy, expected] of cases) {
        it(name, function () {
          assert.deepEqual(differences(ledgerView, redisCopy, NOW), expected);
        });
      }
    });

    it('computes the same binding digest in MySQL as over the Redis copy, for any machine code', async function () {
      const { api, worker } = pair;
      const account = await api.createAccount();
      const empty = await worker.reconcile.ledger.summarize(account.id, { withDigest: true });
      assert.equal(empty?.digest, 0n);
      const bindings: Array<[string, string]> = [
        ['plain-machine', 'aaaaaaaaaaaaaaaa'],
        ['accentué-machine', 'bbbbbbbbbbbbbbb-'],
        ['机器-🙂', 'cccccccccccccc_c'],
      ];
      for (const [machineCode, nonce] of bindings) {
        await db.query(
          `INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, domain, app_name, mac, app_version)
           VALUES (?, ?, ?, 'n', '203.0.113.7', NULL, 'webroot', NULL, '11.0')`,
          [account.id, machineCode, nonce],
        );
      }
      const summary = await worker.reconcile.ledger.summarize(account.id, { withDigest: true });
      assert.equal(summary?.bindingCount, 3);
      assert.equal(summary.digest, bindingDigest(bindings));
      assert.notEqual(summary.digest, bindingDigest(bindings.slice(1)));
    });
  });
});

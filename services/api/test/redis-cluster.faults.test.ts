import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { NODE_CAUSES } from '#shared/domain/causes';
import { accountIdOfStateKey, accountKeys } from '#shared/storage/redis/keys';
import { skipWhenLongTestsAreOff } from '#shared/testing/long-tests';
import { startRedisCluster, type ClusterNodeInfo, type RedisCluster } from '#shared/testing/redis-cluster';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';

/**
 * The API on a real Redis Cluster (redis-cluster.ts: 3 masters, a replica
 * each) while the cluster changes under load: a master killed with -9 and
 * replaced by its replica, and the slots of live accounts moved to another
 * master. Two API instances (two ioredis Cluster clients) share the load, as
 * two processes would. Long tests: SKIP_LONG_TESTS=1 skips them.
 */
interface Node {
  nodeId: string;
  machineCode: string;
  token: string;
}

type Answer = { kind: 'bound'; nodes: Node[] } | { kind: 'full' } | { kind: 'redis-failed' };

/** Every answer a registration may give here; anything else fails the test at once. */
function classify(response: request.Response): Answer {
  const body = response.body as { result?: string; nodes?: Array<Node & { causes?: Array<{ code: string; message: string }> }> };
  if (response.status === 200 && body.result === 'success') return { kind: 'bound', nodes: body.nodes ?? [] };
  const causes = (body.nodes ?? []).flatMap((node) => node.causes ?? []);
  const only = (code: keyof typeof NODE_CAUSES) =>
    causes.length > 0 && causes.every((cause) => cause.code === code && cause.message === NODE_CAUSES[code].message);
  if (response.status === 409 && only('MAX_AUTHORIZATIONS_REACHED')) return { kind: 'full' };
  if (response.status === 503 && only('REDIS_INSERT_FAILED')) return { kind: 'redis-failed' };
  assert.fail(`a wrong answer: ${response.status} ${JSON.stringify(response.body)}`);
}

function masterOfSlot(topology: ClusterNodeInfo[], slot: number): ClusterNodeInfo {
  const master = topology.find((node) => node.role === 'master' && node.slots.some(([first, last]) => slot >= first && slot <= last));
  assert.ok(master, `no master serves slot ${slot}`);
  return master;
}

async function startClusterApis(cluster: RedisCluster, count: number): Promise<TestApi[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      startTestApi({ REDIS_CLUSTER_NODES: cluster.seeds, REDIS_KEY_PREFIX: RUN_KEY_PREFIX, REDIS_COMMAND_TIMEOUT_MS: '1000' }),
    ),
  );
}

const verifyOn = (api: TestApi, node: Node) =>
  request(api.app).post('/v1/verifications').send({ machineCode: node.machineCode, token: node.token });

describe('on a Redis Cluster: a master killed during registrations', function () {
  this.timeout(180_000);
  const ACCOUNTS = 6;
  // Enough that no account fills up during the load: registrations keep landing on the dead master's slots.
  const SEATS = 400;
  const CLIENTS = 8;
  const LOAD_MS = 12_000;
  const KILL_AFTER_MS = 2_000;
  let cluster: RedisCluster;
  let apis: TestApi[] = [];
  let db: mysql.Connection;

  before(async function () {
    skipWhenLongTestsAreOff(this);
    cluster = await startRedisCluster();
    apis = await startClusterApis(cluster, 2);
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    // Unset when the suite was skipped or its start failed half-way: the after hook runs all the same.
    await (db as mysql.Connection | undefined)?.end();
    await Promise.all(apis.map((api) => api.close()));
    await (cluster as RedisCluster | undefined)?.stop();
  });

  it('keeps every account’s seats exact against MySQL, answers only the contract’s causes, and every success verifies after the replica takes over', async function () {
    const [first] = apis as [TestApi];
    const accounts: TestAccount[] = [];
    for (let i = 0; i < ACCOUNTS; i++) accounts.push(await first.createAccount({ maxRegistrations: SEATS }));
    // Load each account into Redis (a first registration), so the victim's slots hold live accounts.
    for (const account of accounts) classify(await request(first.app).post('/v1/registrations').send(registrationBody(account, 1)));

    const slotOf = async (account: TestAccount) =>
      Number(await cluster.cli(cluster.nodes[0]?.port ?? 0, 'CLUSTER', 'KEYSLOT', accountKeys(RUN_KEY_PREFIX, account.id).state));
    const victim = masterOfSlot(await cluster.topology(), await slotOf(accounts[0] as TestAccount));
    const victimAccounts = new Set<number>();
    for (const account of accounts)
      if (masterOfSlot(await cluster.topology(), await slotOf(account)).id === victim.id) victimAccounts.add(account.id);

    const bound = new Map<number, Node[]>(accounts.map((account) => [account.id, []]));
    const counts = { bound: 0, full: 0, redisFailed: 0, boundAfterKill: 0 };
    let killedAt = Infinity;
    const started = Date.now();
    const killer = sleep(KILL_AFTER_MS).then(() => {
      cluster.nodes.find((node) => node.port === victim.port)?.kill();
      killedAt = Date.now();
    });
    let sequence = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const api = apis[client % apis.length] as TestApi;
        while (Date.now() - started < LOAD_MS) {
          const account = accounts[sequence++ % accounts.length] as TestAccount;
          const answer = classify(await request(api.app).post('/v1/registrations').send(registrationBody(account, 1)));
          if (answer.kind === 'bound') {
            bound.get(account.id)?.push(...answer.nodes);
            counts.bound++;
            if (Date.now() > killedAt && victimAccounts.has(account.id)) counts.boundAfterKill++;
          } else if (answer.kind === 'full') counts.full++;
          else counts.redisFailed++;
        }
      }),
    );
    await killer;
    await cluster.waitUntilHealthy();
    const topology = await cluster.topology();
    assert.ok(!topology.some((node) => node.port === victim.port && node.role === 'master' && !node.isFailed && node.slots.length > 0));
    assert.ok(
      counts.boundAfterKill > 0,
      `registrations on the dead master's slots succeeded again after the failover: ${JSON.stringify(counts)}`,
    );

    for (const account of accounts) {
      const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT machine_code FROM bindings WHERE account_id = ?', [account.id]);
      const ledger = new Set(rows.map((row) => String(row.machine_code)));
      const answered = bound.get(account.id) ?? [];
      const setup = 1;
      assert.ok(ledger.size <= SEATS, `account ${account.id}: ${ledger.size} bindings for ${SEATS} seats`);
      // Every success is in the ledger, and nothing a failure answered is: the set is the successes (and the set-up node).
      assert.equal(ledger.size, answered.length + setup, `account ${account.id}: ledger ${ledger.size}, successes ${answered.length}`);
      for (const node of answered) assert.ok(ledger.has(node.machineCode), node.machineCode);
      for (const [index, node] of answered.entries()) {
        const response = await verifyOn(apis[index % apis.length] as TestApi, node);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.equal((response.body as { result: string }).result, 'valid');
      }
      // The seats left are exactly the ones the ledger says: they fill, and one more is refused.
      for (let left = SEATS - ledger.size; left > 0; left -= Math.min(left, 200)) {
        const answer = classify(
          await request(first.app)
            .post('/v1/registrations')
            .send(registrationBody(account, Math.min(left, 200))),
        );
        assert.equal(answer.kind, 'bound');
      }
      assert.equal(classify(await request(first.app).post('/v1/registrations').send(registrationBody(account, 1))).kind, 'full');
    }
    console.log(`      failover load: ${JSON.stringify(counts)}`);
  });
});

describe('on a Redis Cluster: live accounts’ slots moved to another master', function () {
  this.timeout(180_000);
  const ACCOUNTS = 6;
  const NODES = 3;
  const CLIENTS = 8;
  let cluster: RedisCluster;
  let apis: TestApi[] = [];

  before(async function () {
    skipWhenLongTestsAreOff(this);
    cluster = await startRedisCluster();
    apis = await startClusterApis(cluster, 2);
  });
  after(async function () {
    await Promise.all(apis.map((api) => api.close()));
    await (cluster as RedisCluster | undefined)?.stop();
  });

  /**
   * One slot moved by hand, as `redis-cli --cluster reshard` does, in two
   * batches with pauses, so heartbeats run into every state of a move: an
   * account's keys split over two masters (TRYAGAIN for the script that
   * needs both), all on the target while the slot is still the source's
   * (ASK), then the slot reassigned (MOVED for a client's stale map).
   */
  async function moveSlot(slot: number, to: ClusterNodeInfo, topology: ClusterNodeInfo[]): Promise<void> {
    const from = masterOfSlot(topology, slot);
    await cluster.cli(to.port, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from.id);
    await cluster.cli(from.port, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to.id);
    await sleep(200);
    const keys = (await cluster.cli(from.port, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '100')).split('\n').filter(Boolean);
    // In two batches, as redis-cli moves keys (several per MIGRATE), the state keys last: between them every
    // moving account's state and bindings, the two keys a heartbeat's script reads, are on two masters.
    const isState = (key: string) => accountIdOfStateKey(RUN_KEY_PREFIX, key) !== null;
    for (const batch of [keys.filter((key) => !isState(key)), keys.filter(isState)]) {
      if (batch.length === 0) continue;
      await cluster.cli(from.port, 'MIGRATE', '127.0.0.1', String(to.port), '', '0', '5000', 'KEYS', ...batch);
      // Well under the command timeout (1 s) and the client's retries (16 × 100 ms): a TRYAGAIN is retried, not failed.
      await sleep(150);
    }
    // Keys are on the target, the slot still on the source: commands get ASK.
    await sleep(400);
    for (const node of [to, from, ...topology.filter((n) => n.role === 'master' && n.id !== to.id && n.id !== from.id)]) {
      await cluster.cli(node.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id);
    }
  }

  /** How often the masters answered MOVED, ASK and TRYAGAIN since the last CONFIG RESETSTAT (INFO errorstats). */
  async function redirections(): Promise<Record<'MOVED' | 'ASK' | 'TRYAGAIN', number>> {
    const counts = { MOVED: 0, ASK: 0, TRYAGAIN: 0 };
    for (const node of cluster.nodes) {
      const stats = await cluster.cli(node.port, 'INFO', 'errorstats');
      for (const kind of ['MOVED', 'ASK', 'TRYAGAIN'] as const)
        counts[kind] += Number(new RegExp(`errorstat_${kind}:count=(\\d+)`).exec(stats)?.[1] ?? 0);
    }
    return counts;
  }

  it('answers every heartbeat valid while the slots move (MOVED, ASK and TRYAGAIN followed), and the slots end on the new master', async function () {
    const [first] = apis as [TestApi];
    const nodes: Node[] = [];
    const accounts: TestAccount[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const account = await first.createAccount({ maxRegistrations: NODES });
      accounts.push(account);
      const answer = classify(await request(first.app).post('/v1/registrations').send(registrationBody(account, NODES)));
      assert.equal(answer.kind, 'bound');
      nodes.push(...answer.nodes);
    }
    const port = cluster.nodes[0]?.port ?? 0;
    const slots = [
      ...new Set(
        await Promise.all(
          accounts.map(async (account) =>
            Number(await cluster.cli(port, 'CLUSTER', 'KEYSLOT', accountKeys(RUN_KEY_PREFIX, account.id).state)),
          ),
        ),
      ),
    ];

    for (const node of cluster.nodes) await cluster.cli(node.port, 'CONFIG', 'RESETSTAT');
    let isMoving = true;
    const answers = { valid: 0, duringMove: 0 };
    const heartbeats = Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const api = apis[client % apis.length] as TestApi;
        for (let i = client; isMoving; i++) {
          const node = nodes[i % nodes.length] as Node;
          const response = await verifyOn(api, node);
          assert.equal(response.status, 200, `a wrong answer while resharding: ${response.status} ${JSON.stringify(response.body)}`);
          assert.equal((response.body as { result: string }).result, 'valid');
          answers.valid++;
          answers.duringMove++;
        }
      }),
    );
    const targets = new Map<number, string>();
    try {
      await sleep(300);
      for (const slot of slots) {
        const topology = await cluster.topology();
        const from = masterOfSlot(topology, slot);
        const to = topology.find((node) => node.role === 'master' && node.slots.length > 0 && node.id !== from.id);
        assert.ok(to);
        targets.set(slot, to.id);
        await moveSlot(slot, to, topology);
      }
      await sleep(300);
    } finally {
      isMoving = false;
      await heartbeats;
    }
    const redirected = await redirections();
    const topology = await cluster.topology();
    for (const slot of slots) assert.equal(masterOfSlot(topology, slot).id, targets.get(slot), `slot ${slot} moved`);
    // The heartbeats did run into the moves: the masters sent every kind of redirection, and the client followed them.
    assert.ok(redirected.MOVED > 0 && redirected.ASK > 0 && redirected.TRYAGAIN > 0, JSON.stringify(redirected));
    assert.ok(answers.duringMove > slots.length * 20, `heartbeats flowed while the slots moved: ${answers.duringMove}`);
    // Not one Redis call failed (a heartbeat whose Redis call fails falls back to the ledger and would still say valid).
    for (const api of apis) {
      const failures = (await api.deps.metrics.storeFailures.get()).values.filter((value) => value.labels.store === 'redis');
      assert.deepEqual(
        failures.filter((value) => value.value > 0),
        [],
        'no Redis failure while the slots moved',
      );
    }
    // And after: every node still verifies on both API instances.
    for (const node of nodes) for (const api of apis) assert.equal((await verifyOn(api, node)).status, 200);
    console.log(
      `      resharding: ${slots.length} slots moved, ${answers.valid} heartbeats, all valid; redirections ${JSON.stringify(redirected)}`,
    );
  });
});

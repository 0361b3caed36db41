import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { createPool, type Pool } from '#shared/storage/mysql/pool';
import { createWebhookEndpoints } from '#shared/storage/mysql/webhook-endpoints';
import { createWebhookSecret } from '#shared/webhooks/signature';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { startWorkerProcess } from './support/worker-process';
import { FAR_FUTURE, randomName, startTestApi, type TestApi } from '#shared/testing/test-api';

/** A delivery claimed by a worker that died comes due again after the claim: the 15 s timeout and 30 s (deliver-webhook.ts). */
const CLAIM_SECONDS = 45;

interface Worker {
  child: ChildProcess;
}

async function startWorker(prefix: string): Promise<Worker> {
  const { child } = await startWorkerProcess({
    REDIS_KEY_PREFIX: prefix,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SECONDS: '1,1,1,1,1',
  });
  return { child };
}

async function crash(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null) return;
  const exited = once(worker.child, 'exit');
  worker.child.kill('SIGKILL');
  await exited;
}

async function waitFor(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${String(seconds)} s`);
    await sleep(100);
  }
}

/**
 * The worker SIGKILLed for real, mid-delivery and mid-release, then started
 * again (issue "survival of real outages"): every event reaches the receiver
 * at least once under its one webhook-id, and every silent binding is
 * released exactly once. Long (a dead worker's claim must expire): set
 * SKIP_LONG_TESTS=1 to leave it out locally; CI runs it.
 */
describe('a worker killed mid-delivery and mid-release', function () {
  this.timeout(180_000);
  let api: TestApi;
  let pool: Pool;
  let db: mysql.Connection;
  const isSkipped = process.env.SKIP_LONG_TESTS === '1';
  const prefix = `${RUN_KEY_PREFIX}${randomName('crash')}:`;

  before(async function () {
    if (isSkipped) this.skip();
    api = await startTestApi({ REDIS_KEY_PREFIX: prefix });
    pool = createPool({ url: RUN_MYSQL_URL, size: 2 });
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    // Nothing was opened when the suite was skipped.
    if (isSkipped) return;
    await db.end();
    await pool.end();
    await api.close();
  });

  it('delivers every event after a restart, at least once and under one webhook-id each', async function () {
    // The receiver holds its first answers, so deliveries are in flight when the worker dies.
    const held: ServerResponse[] = [];
    const received: Array<{ id: string; account: string }> = [];
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const data = (JSON.parse(body) as { data: { account: string } }).data;
        received.push({ id: String(req.headers['webhook-id']), account: data.account });
        if (held.length < 5) held.push(res);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/crash`;
    const endpoints = createWebhookEndpoints(pool);
    const endpoint = await endpoints.create(
      { url, eventTypes: ['account.changed'], secret: createWebhookSecret() },
      { actor: 'test', sourceAddress: null, requestId: null },
    );
    let worker: Worker | undefined;
    try {
      const names = Array.from({ length: 12 }, () => randomName('wc'));
      for (const name of names) {
        await api.deps.context.accounts.create(
          {
            name,
            passwordHash: await api.deps.context.passwords.hash('S3cret-pass'),
            settings: {
              status: 'active',
              version: '11.0',
              expiresAt: FAR_FUTURE,
              maxRegistrations: 2,
              allowedIps: [],
              allowedDomains: [],
              allowedAppNames: [],
            },
          },
          { actor: 'test', action: 'account.create', details: { name }, before: null, after: { name } },
        );
      }
      const [events] = await db.query<mysql.RowDataPacket[]>(
        `SELECT e.id FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.endpoint_id = ?`,
        [endpoint.id],
      );
      assert.equal(events.length, names.length);

      worker = await startWorker(prefix);
      await waitFor('deliveries in flight', 30, () => Promise.resolve(held.length >= 5));
      await crash(worker);
      for (const res of held) res.destroy();
      worker = await startWorker(prefix);
      const ids = new Set(events.map((event) => String(event.id)));
      const answered = () => new Set(received.filter((r) => ids.has(r.id)).map((r) => r.id));
      await waitFor('every event delivered after the restart', CLAIM_SECONDS + 60, async () => {
        const [rows] = await db.query<mysql.RowDataPacket[]>(
          "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'delivered'",
          [endpoint.id],
        );
        return Number(rows[0]?.n) === ids.size;
      });
      assert.deepEqual(answered(), ids, 'each event reached the receiver');
      const idsPerAccount = new Map<string, Set<string>>();
      for (const r of received) idsPerAccount.set(r.account, (idsPerAccount.get(r.account) ?? new Set()).add(r.id));
      for (const name of names)
        assert.equal(idsPerAccount.get(name)?.size, 1, `one webhook-id for the change of ${name}, however often sent`);
    } finally {
      if (worker) await crash(worker);
      await endpoints.remove(endpoint.id, { actor: 'test', sourceAddress: null, requestId: null });
      server.closeAllConnections();
      server.close();
    }
  });

  it('releases every silent binding exactly once across a kill and a restart', async function () {
    const accounts: number[] = [];
    for (let i = 0; i < 150; i++) accounts.push((await api.createAccount({ maxRegistrations: 5 })).id);
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    await db.query('UPDATE accounts SET release_after_silent_seconds = 60, release_after_silent_since = FROM_UNIXTIME(?) WHERE id IN (?)', [
      hourAgo,
      accounts,
    ]);
    const rows = accounts.flatMap((id) =>
      Array.from({ length: 4 }, (_, i) => [
        id,
        `silent-${String(i)}`,
        randomBytes(12).toString('base64url').slice(0, 16),
        'n',
        '203.0.113.7',
        'webroot',
        '11.0',
        new Date(hourAgo * 1000),
      ]),
    );
    await db.query('INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, app_name, app_version, registered_at) VALUES ?', [
      rows,
    ]);
    const remaining = async () => {
      const [counted] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id IN (?)', [accounts]);
      return Number(counted[0]?.n);
    };

    let worker = await startWorker(prefix);
    let leftAtKill: number;
    try {
      await waitFor('the first release', 30, async () => (await remaining()) < rows.length);
      await crash(worker);
      leftAtKill = await remaining();
      worker = await startWorker(prefix);
      await waitFor('every silent binding released', 60, async () => (await remaining()) === 0);
    } finally {
      await crash(worker);
    }
    const [audits] = await db.query<mysql.RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM audit_log WHERE account_id IN (?) AND actor = 'system' AND action = 'binding.release'",
      [accounts],
    );
    const [announced] = await db.query<mysql.RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM webhook_events WHERE account_id IN (?) AND type = \'binding.released\' AND body LIKE \'%"reason":"silent"%\'',
      [accounts],
    );
    assert.equal(Number(audits[0]?.n), rows.length, 'one audit entry per release');
    assert.equal(Number(announced[0]?.n), rows.length, 'one binding.released per release');
    assert.ok(
      leftAtKill > 0 || process.env.CI === undefined,
      `the kill came mid-release (${String(leftAtKill)} of ${String(rows.length)} left)`,
    );
  });
});

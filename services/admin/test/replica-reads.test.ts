import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { startTcpProxy, type TcpProxy } from '#shared/testing/tcp-proxy';
import { RUN_DATABASE, RUN_MYSQL_URL, SHARED_MYSQL, databaseUrl } from '#shared/testing/test-environment';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';
import { API, startTestAdmin, type LoggedIn, type TestAdmin } from './support/test-admin';

/**
 * MYSQL_REPLICA_URL (issue "Grow past one machine", item 3): the staff
 * service's reads that may lag go to the replica, everything else to the
 * primary. The "replica" here is this run's database through a TCP proxy the
 * test cuts: what fails then went to the replica, what still works did not.
 */
describe('MYSQL_REPLICA_URL', function () {
  this.timeout(60_000);
  let replicaProxy: TcpProxy;
  let admin: TestAdmin;
  let api: TestApi;
  let root: LoggedIn;
  let db: mysql.Connection;

  before(async function () {
    const target = new URL(SHARED_MYSQL);
    replicaProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    admin = await startTestAdmin({
      MYSQL_REPLICA_URL: databaseUrl(`mysql://root@127.0.0.1:${replicaProxy.port}/`, RUN_DATABASE),
      MYSQL_CONNECT_TIMEOUT_MS: '1000',
      STORE_PING_INTERVAL_MS: '600000',
    });
    api = await startTestApi();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    root = await admin.staffAgent('admin');
  });
  after(async function () {
    await db.end();
    await api.close();
    await admin.close();
    await replicaProxy.close();
  });

  it('serves account lists, attempts and audit reads from the replica; edits, account reads and registrations never', async function () {
    const password = 'S3cret!-replica';
    const name = `rep-${Date.now().toString(36)}`;
    const created = await root.agent
      .post(`${API}/accounts`)
      .set('X-CSRF-Token', root.csrfToken)
      .send({ name, password, version: '11.0', expiresAt: '2099-12-31', maxRegistrations: 5 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await root.agent.get(`${API}/accounts?query=${name}`)).status, 200, 'the listing answers with the replica up');

    replicaProxy.cut();
    try {
      // Reads that may lag: the replica's, so they fail with it.
      for (const path of [`/accounts?query=${name}`, `/accounts/${name}/attempts`, `/audit`]) {
        assert.equal((await root.agent.get(`${API}${path}`)).status, 500, `${path} read the replica`);
      }
      // Everything else is the primary's.
      assert.equal((await root.agent.get(`${API}/accounts/${name}`)).status, 200, 'one account, read before an edit');
      const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT id, edit_revision FROM accounts WHERE name = ?', [name]);
      const edited = await root.agent
        .patch(`${API}/accounts/${name}`)
        .set('X-CSRF-Token', root.csrfToken)
        .set('If-Match', `"${String(rows[0]?.edit_revision)}"`)
        .send({ maxRegistrations: 6 });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      const registered = await request(api.app)
        .post('/v1/registrations')
        .send(registrationBody({ id: Number(rows[0]?.id), name, password }, 2));
      assert.equal(registered.status, 200, JSON.stringify(registered.body));

      // The replica's health is its own gauge; readiness does not change.
      await admin.deps.storeHealth.check();
      const ready = await request(admin.app).get('/admin/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { status: 'ready', stores: { redis: 'up', mysql: 'up', mysql_replica: 'down' } });
      assert.match((await request(admin.app).get('/admin/metrics')).text, /^regcloud_store_up\{store="mysql_replica"\} 0$/m);
    } finally {
      replicaProxy.restore();
    }
    const listed = await root.agent.get(`${API}/accounts?query=${name}`);
    assert.equal(listed.status, 200);
    assert.ok(JSON.stringify(listed.body).includes(name));
  });
});

describe('staff service probes', function () {
  let admin: TestAdmin;
  before(async function () {
    admin = await startTestAdmin();
  });
  after(async function () {
    await admin.close();
  });

  it('answers /admin/healthz (liveness) and /admin/readyz (ready, 503 once draining), whatever the stores say', async function () {
    assert.equal((await request(admin.app).get('/admin/healthz')).status, 200);
    const ready = await request(admin.app).get('/admin/readyz');
    assert.equal(ready.status, 200);
    assert.equal((ready.body as { status: string }).status, 'ready');
    admin.deps.readiness.drain();
    assert.equal((await request(admin.app).get('/admin/readyz')).status, 503);
    assert.equal((await request(admin.app).get('/admin/healthz')).status, 200);
  });

  it('counts unknown routes as unmatched and known ones by their pattern', async function () {
    await request(admin.app).get('/admin/api/v1/no/such/thing');
    const session = await admin.staffAgent('viewer');
    await session.agent.get(`${API}/accounts/nobody-${Date.now()}`);
    const scrape = (await request(admin.app).get('/admin/metrics')).text;
    assert.match(
      scrape,
      /^regcloud_http_request_duration_seconds_count\{route="\/admin\/api\/v1\/accounts\/:name",method="GET",status="404"\} 1$/m,
    );
    assert.match(scrape, /^regcloud_http_request_duration_seconds_count\{route="unmatched",method="GET",status="\d+"\} \d+$/m);
  });
});

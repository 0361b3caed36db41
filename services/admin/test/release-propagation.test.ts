import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { postJson, runStoresEnv, startApiProcess, type ApiProcess } from '../../api/test/support/api-process';
import { API, startTestAdmin, type LoggedIn, type TestAdmin } from './support/test-admin';

/** Contract rule 8 through the staff API: a release stops the node's heartbeats on every API process within 1 s. */
describe('a release through the staff API', function () {
  this.timeout(60_000);
  let admin: TestAdmin;
  let staff: LoggedIn;
  let processes: ApiProcess[];

  before(async function () {
    admin = await startTestAdmin();
    staff = await admin.staffAgent('operator');
    processes = await Promise.all([startApiProcess(runStoresEnv()), startApiProcess(runStoresEnv())]);
  });
  after(async function () {
    await Promise.all(processes.map((api) => api.stop()));
    await admin.close();
  });

  it("stops the node's verifications on two API processes within 1 s", async function () {
    const root = await admin.staffAgent('admin');
    const name = `released-${Date.now()}`;
    await root.agent
      .post(`${API}/accounts`)
      .set('X-CSRF-Token', root.csrfToken)
      .send({ name, password: 'S3cret!', version: '11.0', expiresAt: '2099-12-31', maxRegistrations: 2 })
      .expect(201);
    const registered = await postJson(`${processes[0]?.url}/v1/registrations`, {
      account: name,
      password: 'S3cret!',
      appVersion: '11.0',
      nodes: [{ nodeId: 'n1', ip: '203.0.113.7', appName: 'webroot', machineCode: 'M/1 ü' }],
    });
    assert.equal(registered.status, 200);
    const token = (registered.body as { nodes: Array<{ token: string }> }).nodes[0]?.token as string;
    const verify = (api: ApiProcess) => postJson(`${api.url}/v1/verifications`, { machineCode: 'M/1 ü', token });
    for (const api of processes) assert.equal((await verify(api)).status, 200);

    await staff.agent
      .delete(`${API}/accounts/${name}/bindings/${encodeURIComponent('M/1 ü')}`)
      .set('X-CSRF-Token', staff.csrfToken)
      .expect(204);
    const releasedAt = Date.now();
    for (const api of processes) {
      let status = (await verify(api)).status;
      while (status === 200 && Date.now() - releasedAt < 1_000) {
        await sleep(20);
        status = (await verify(api)).status;
      }
      assert.equal(status, 409, 'NOT_BOUND within 1 s');
    }
    assert.equal(
      (await staff.agent.delete(`${API}/accounts/${name}/bindings/${encodeURIComponent('M/1 ü')}`).set('X-CSRF-Token', staff.csrfToken))
        .status,
      404,
    );
  });

  it('releases several machines in one request: those bound stop verifying everywhere, the others are listed, each release audited', async function () {
    const root = await admin.staffAgent('admin');
    const name = `released-many-${Date.now()}`;
    await root.agent
      .post(`${API}/accounts`)
      .set('X-CSRF-Token', root.csrfToken)
      .send({ name, password: 'S3cret!', version: '11.0', expiresAt: '2099-12-31', maxRegistrations: 3 })
      .expect(201);
    const registered = await postJson(`${processes[0]?.url}/v1/registrations`, {
      account: name,
      password: 'S3cret!',
      appVersion: '11.0',
      nodes: ['A', 'B', 'C'].map((code) => ({ nodeId: code, ip: '203.0.113.7', appName: 'webroot', machineCode: code })),
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    const tokens = new Map(
      (registered.body as { nodes: Array<{ machineCode: string; token: string }> }).nodes.map((n) => [n.machineCode, n.token]),
    );
    const verify = (api: ApiProcess, machineCode: string) =>
      postJson(`${api.url}/v1/verifications`, { machineCode, token: tokens.get(machineCode) });

    const answer = await staff.agent
      .post(`${API}/accounts/${name}/releases`)
      .set('X-CSRF-Token', staff.csrfToken)
      .send({ machineCodes: ['A', 'B', 'Z'] })
      .expect(200);
    assert.deepEqual(answer.body, { released: ['A', 'B'], notBound: ['Z'] });
    await sleep(1_000);
    for (const api of processes) {
      assert.equal((await verify(api, 'A')).status, 409);
      assert.equal((await verify(api, 'B')).status, 409);
      assert.equal((await verify(api, 'C')).status, 200);
    }
    const audit = await staff.agent.get(`${API}/audit?account=${name}&action=binding.release`).expect(200);
    assert.deepEqual(
      (audit.body as { items: Array<{ before: { machineCode: string } }> }).items.map((entry) => entry.before.machineCode).sort(),
      ['A', 'B'],
    );
    await staff.agent
      .post(`${API}/accounts/${name}/releases`)
      .set('X-CSRF-Token', staff.csrfToken)
      .send({ machineCodes: ['C', 'C'] })
      .expect(422);
  });
});

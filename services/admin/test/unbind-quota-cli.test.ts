import assert from 'node:assert/strict';
import request from 'supertest';
import { randomName, registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { runCli, stderrLines, type CliRun } from './support/run-cli';

interface Registered {
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

function expectExit(run: CliRun, code: number): void {
  assert.equal(run.code, code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
}

/** The unbinding quota as staff set it on the command line, and staff releases beside it. */
describe('admin CLI: --max-unbinds-per-day', function () {
  this.timeout(60_000);
  let api: TestApi;

  const quotaOf = async (name: string) => (await api.deps.context.accounts.findByName(name))?.policy.maxUnbindsPerDay;
  const unbind = (account: TestAccount, nodes: Registered['nodes']) =>
    request(api.app)
      .post('/v1/unbindings')
      .send({
        account: account.name,
        password: account.password,
        nodes: nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
      });

  async function register(account: TestAccount, count: number): Promise<Registered['nodes']> {
    const response = await request(api.app).post('/v1/registrations').send(registrationBody(account, count));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return (response.body as Registered).nodes;
  }

  before(async function () {
    api = await startTestApi();
  });
  after(async function () {
    await api.close();
  });

  it('sets the quota on accounts:create, changes it on accounts:update and clears it with ""', async function () {
    const name = randomName();
    const base = ['--name', name, '--password', 'S3cret!', '--version', '11.0', '--expires', '2099-12-31', '--max-registrations', '3'];
    expectExit(await runCli(['accounts:create', ...base, '--max-unbinds-per-day', '4']), 0);
    assert.equal(await quotaOf(name), 4);
    expectExit(await runCli(['accounts:update', '--name', name, '--max-unbinds-per-day', '0']), 0);
    assert.equal(await quotaOf(name), 0);
    expectExit(await runCli(['accounts:update', '--name', name, '--max-unbinds-per-day', '']), 0);
    assert.equal(await quotaOf(name), null);
  });

  it('takes effect on the next unbinding', async function () {
    const account = await api.createAccount();
    const [node] = await register(account, 1);
    assert.ok(node);
    expectExit(await runCli(['accounts:update', '--name', account.name, '--max-unbinds-per-day', '0']), 0);
    assert.equal((await unbind(account, [node])).status, 429);
    expectExit(await runCli(['accounts:update', '--name', account.name, '--max-unbinds-per-day', '']), 0);
    assert.equal((await unbind(account, [node])).status, 200);
  });

  it('refuses a value that is not a whole number, changing nothing (exit 2)', async function () {
    const account = await api.createAccount();
    const run = await runCli(['accounts:update', '--name', account.name, '--max-unbinds-per-day', 'many']);
    expectExit(run, 2);
    assert.match(stderrLines(run).join('\n'), /max-unbinds-per-day: empty or a whole number/);
    assert.equal(await quotaOf(account.name), null);
  });

  it('does not count staff releases (bindings:release) against the quota', async function () {
    const account = await api.createAccount();
    const nodes = await register(account, 3);
    const [first, second, third] = nodes;
    assert.ok(first && second && third);
    expectExit(await runCli(['accounts:update', '--name', account.name, '--max-unbinds-per-day', '1']), 0);
    for (const node of [first, second]) {
      expectExit(await runCli(['bindings:release', '--name', account.name, '--machine-code', node.machineCode]), 0);
    }
    assert.equal((await unbind(account, [third])).status, 200, 'the quota of 1 is still whole after two releases');
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import bcrypt from 'bcrypt';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { accountKeys } from '#shared/storage/redis/keys';
import { getFreePort } from '#shared/testing/free-port';
import { RUN_DATABASE, SHARED_MYSQL, databaseUrl } from '#shared/testing/test-environment';
import { expectNodeCauses, expectOverall } from '#shared/testing/expect-causes';
import { FAR_FUTURE, randomName, registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import type { AccountJson } from '../src/account-view';
import { runCli, stderrLines, type CliRun } from './support/run-cli';

type AccountOutput = AccountJson;

interface ShownAccount extends AccountOutput {
  bindings: Array<Record<string, unknown>>;
}

interface AuditOutput {
  actor: string;
  action: string;
  account: string | null;
  details: Record<string, unknown>;
}

interface Registered {
  used: number;
  nodes: Array<{ nodeId: string; machineCode: string; token: string }>;
}

const ACCOUNT_FIELDS = [
  'name',
  'status',
  'version',
  'expiresAt',
  'maxRegistrations',
  'allowedIps',
  'allowedDomains',
  'allowedAppNames',
  'used',
];
const BINDING_FIELDS = ['machineCode', 'nodeId', 'ip', 'domain', 'appName', 'mac', 'appVersion', 'boundAt', 'registeredAt', 'lastSeenAt'];
const ACTOR = `cli:${userInfo().username}`;

function expectExit(run: CliRun, code: number): void {
  assert.equal(run.code, code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
}

/** One failure line on stderr and nothing on stdout. */
function expectOneError(run: CliRun, code: number, pattern: RegExp): void {
  expectExit(run, code);
  assert.equal(run.stdout, '');
  const lines = stderrLines(run);
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0] ?? '', pattern);
}

describe('admin CLI', function () {
  this.timeout(60_000);
  let api: TestApi;

  /** Creates an account through the CLI and returns what the API tests need to use it. */
  async function createAccount(options: Record<string, string> = {}): Promise<TestAccount & { output: AccountOutput }> {
    const name = randomName();
    const password = `pw-${randomBytes(9).toString('hex')}`;
    const given = { version: '11.0', expires: FAR_FUTURE, 'max-registrations': '5', ...options };
    const run = await runCli([
      'accounts:create',
      '--name',
      name,
      '--password',
      password,
      ...Object.entries(given).flatMap(([k, v]) => [`--${k}`, v]),
    ]);
    expectExit(run, 0);
    const record = await api.deps.context.accounts.findByName(name);
    assert.ok(record, 'the account is in MySQL');
    return { id: record.certificate.id, name, password, output: run.json() as AccountOutput };
  }

  async function register(account: TestAccount, count: number, prefix = randomName('m')): Promise<Registered> {
    const response = await request(api.app)
      .post('/v1/registrations')
      .send(registrationBody(account, count, { prefix }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as Registered;
  }

  const verify = (machineCode: string, token: string) => request(api.app).post('/v1/verifications').send({ machineCode, token });

  async function auditOf(name: string): Promise<AuditOutput[]> {
    const run = await runCli(['audit:list', '--name', name]);
    expectExit(run, 0);
    return run.json() as AuditOutput[];
  }

  before(async function () {
    api = await startTestApi();
  });
  after(async function () {
    await api.close();
  });

  describe('staff:create', function () {
    it('creates a staff member from --password and exits 0; a password under 8 characters or a bad role exits 2', async function () {
      const email = () => `cli-${randomBytes(3).toString('hex')}@vendor.example`;
      expectExit(await runCli(['staff:create', '--email', email(), '--role', 'admin', '--password', 'admin123']), 0);
      expectExit(await runCli(['staff:create', '--email', email(), '--role', 'admin', '--password', 'short12']), 2);
      expectExit(await runCli(['staff:create', '--email', email(), '--role', 'root', '--password', 'admin123']), 2);
    });
  });

  describe('accounts:create', function () {
    it('creates the account with its settings and prints it, without any secret', async function () {
      const account = await createAccount({
        'max-registrations': '3',
        'allowed-ips': '10.0.0.0/8, 203.0.113.7',
        'allowed-domains': '*.Acme.com,report.acme.com',
        'allowed-app-names': 'webroot',
        status: 'frozen',
      });
      assert.deepEqual(account.output, {
        name: account.name,
        status: 'frozen',
        version: '11.0',
        expiresAt: FAR_FUTURE,
        maxRegistrations: 3,
        allowedIps: ['10.0.0.0/8', '203.0.113.7'],
        allowedDomains: ['*.acme.com', 'report.acme.com'],
        allowedAppNames: ['webroot'],
        used: 0,
      });
      const record = await api.deps.context.accounts.findByName(account.name);
      assert.ok(record && (await bcrypt.compare(account.password, record.passwordHash)), 'only a bcrypt hash of the password is stored');
      const audit = await auditOf(account.name);
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.action, 'account.create');
      assert.equal(audit[0].actor, ACTOR);
      assert.ok(
        !JSON.stringify(audit).includes(account.password) && !JSON.stringify(audit).includes('$2'),
        'no password or hash in the audit log',
      );
    });

    it('defaults to an active account with empty lists, which the API then accepts', async function () {
      const account = await createAccount();
      assert.equal(account.output.status, 'active');
      assert.deepEqual([account.output.allowedIps, account.output.allowedDomains, account.output.allowedAppNames], [[], [], []]);
      const registered = await register(account, 2);
      assert.equal(registered.used, 2);
    });

    it('refuses a name that exists with exit 1 and one line, changing nothing', async function () {
      const account = await createAccount();
      const run = await runCli([
        'accounts:create',
        '--name',
        account.name,
        '--password',
        'other',
        '--version',
        '12.0',
        '--expires',
        FAR_FUTURE,
        '--max-registrations',
        '1',
      ]);
      expectOneError(run, 1, /already exists/);
      const shown = (await runCli(['accounts:show', '--name', account.name])).json() as ShownAccount;
      assert.equal(shown.version, '11.0');
      assert.equal((await auditOf(account.name)).length, 1);
    });

    it('works on a fresh database: the CLI applies the migrations itself', async function () {
      const database = `${RUN_DATABASE}_fresh`;
      const env = { MYSQL_URL: databaseUrl(SHARED_MYSQL, database) };
      try {
        const name = randomName();
        const created = await runCli(
          ['accounts:create', '--name', name, '--password', 'pw', '--version', '11.0', '--expires', FAR_FUTURE, '--max-registrations', '1'],
          env,
        );
        expectExit(created, 0);
        const listed = await runCli(['accounts:list'], env);
        assert.deepEqual(
          (listed.json() as AccountOutput[]).map((account) => account.name),
          [name],
        );
      } finally {
        const connection = await mysql.createConnection({ uri: SHARED_MYSQL });
        await connection.query(`DROP DATABASE IF EXISTS \`${database}\``).finally(() => connection.end());
      }
    });
  });

  describe('accounts:update', function () {
    it('changes only the options given; an empty list clears it', async function () {
      const account = await createAccount({ 'allowed-ips': '10.0.0.0/8', 'allowed-app-names': 'webroot' });
      const run = await runCli([
        'accounts:update',
        '--name',
        account.name,
        '--allowed-ips',
        '',
        '--max-registrations',
        '7',
        '--version',
        '12.0',
      ]);
      expectExit(run, 0);
      assert.deepEqual(run.json(), { ...account.output, allowedIps: [], maxRegistrations: 7, version: '12.0' });
      const shown = (await runCli(['accounts:show', '--name', account.name])).json() as ShownAccount;
      assert.deepEqual(shown, { ...account.output, allowedIps: [], maxRegistrations: 7, version: '12.0', bindings: [] });
      const [entry] = await auditOf(account.name);
      assert.equal(entry?.action, 'account.update');
      assert.deepEqual(entry.details.changes, {
        version: { from: '11.0', to: '12.0' },
        maxRegistrations: { from: 5, to: 7 },
        allowedIps: { from: ['10.0.0.0/8'], to: [] },
      });
    });

    it('changes the password: the API accepts the new one only, and the audit log never shows it', async function () {
      const account = await createAccount();
      const password = `new-${randomBytes(9).toString('hex')}`;
      expectExit(await runCli(['accounts:update', '--name', account.name, '--password', password]), 0);
      const old = await request(api.app).post('/v1/registrations').send(registrationBody(account, 1));
      expectOverall(old, 401, ['UNAUTHORIZED_ACCOUNT']);
      await register({ ...account, password }, 1);
      const audit = await auditOf(account.name);
      assert.equal(audit[0]?.details.isPasswordChanged, true);
      assert.ok(!JSON.stringify(audit).includes(password));
    });

    it('exit 1 for an account that does not exist', async function () {
      expectOneError(await runCli(['accounts:update', '--name', randomName(), '--status', 'frozen']), 1, /no account named/);
    });
  });

  describe('accounts:show and accounts:list', function () {
    it('shows the account with its bindings, never a nonce or token', async function () {
      const account = await createAccount();
      const registered = await register(account, 2);
      const run = await runCli(['accounts:show', '--name', account.name]);
      expectExit(run, 0);
      const shown = run.json() as ShownAccount;
      assert.deepEqual(Object.keys(shown).sort(), [...ACCOUNT_FIELDS, 'bindings'].sort());
      assert.equal(shown.used, 2);
      assert.deepEqual(
        shown.bindings.map((binding) => binding.machineCode),
        registered.nodes.map((node) => node.machineCode),
      );
      for (const binding of shown.bindings) assert.deepEqual(Object.keys(binding).sort(), [...BINDING_FIELDS].sort());
      assert.deepEqual(
        {
          nodeId: shown.bindings[0]?.nodeId,
          ip: shown.bindings[0]?.ip,
          domain: shown.bindings[0]?.domain,
          appName: shown.bindings[0]?.appName,
        },
        { nodeId: 'node-1', ip: '203.0.113.7', domain: 'report.acme.com', appName: 'webroot' },
      );
      for (const node of registered.nodes) assert.ok(!run.stdout.includes(node.token.split('.')[1] ?? '-'), 'no nonce in the output');
      assert.ok(!run.stdout.includes('$2'), 'no password hash in the output');
    });

    it('exit 1 for an account that does not exist', async function () {
      expectOneError(await runCli(['accounts:show', '--name', randomName()]), 1, /no account named/);
    });

    it('lists every account with its seats taken, without bindings', async function () {
      const first = await createAccount();
      const second = await createAccount();
      await register(second, 3);
      const run = await runCli(['accounts:list']);
      expectExit(run, 0);
      const listed = run.json() as AccountOutput[];
      const byName = new Map(listed.map((account) => [account.name, account]));
      assert.deepEqual(byName.get(first.name), first.output);
      assert.deepEqual(byName.get(second.name), { ...second.output, used: 3 });
      for (const account of listed) assert.deepEqual(Object.keys(account).sort(), [...ACCOUNT_FIELDS].sort());
    });
  });

  describe('usage errors', function () {
    const cases: Array<[string, string[], RegExp[]]> = [
      ['an unknown command', ['accounts:delete', '--name', 'x'], [/unknown command: accounts:delete/]],
      ['an unknown option', ['accounts:list', '--name', 'x'], [/Unknown option '--name'/]],
      ['a missing option value', ['accounts:show', '--name'], [/--name/]],
      ['a stray argument', ['accounts:show', '--name', 'x', 'y'], [/Unexpected argument 'y'/]],
      [
        'missing required options',
        ['accounts:create', '--name', 'x'],
        [/--password is required/, /--version is required/, /--expires is required/, /--max-registrations is required/],
      ],
      ['an update with nothing to change', ['accounts:update', '--name', 'x'], [/nothing to change/]],
      ['a bad audit limit', ['audit:list', '--limit', '0'], [/limit: a whole number/]],
      [
        'every bad value at once',
        [
          'accounts:create',
          '--name',
          'bad name',
          '--password',
          'p',
          '--version',
          '',
          '--expires',
          '2027-02-30',
          '--max-registrations=-1',
          '--status',
          'paused',
          '--allowed-ips',
          '1.2.3.4/40',
          '--allowed-domains',
          'a..b',
        ],
        [/name:/, /version:/, /expires:/, /max-registrations:/, /status:/, /allowed-ips: .*1\.2\.3\.4\/40/, /allowed-domains: .*a\.\.b/],
      ],
    ];
    for (const [what, args, patterns] of cases) {
      it(`exit 2 for ${what}, listing every problem on stderr`, async function () {
        const run = await runCli(args);
        expectExit(run, 2);
        assert.equal(run.stdout, '');
        for (const pattern of patterns)
          assert.ok(
            stderrLines(run).some((line) => pattern.test(line)),
            `${pattern} in\n${run.stderr}`,
          );
      });
    }

    it("checks an update's values before touching the account", async function () {
      const account = await createAccount();
      const run = await runCli(['accounts:update', '--name', account.name, '--expires', 'tomorrow', '--allowed-ips', 'nowhere']);
      expectExit(run, 2);
      assert.equal(stderrLines(run).filter((line) => /expires:|allowed-ips:/.test(line)).length, 2);
      assert.equal(((await runCli(['accounts:show', '--name', account.name])).json() as ShownAccount).expiresAt, FAR_FUTURE);
    });
  });

  describe('contract rule 8: staff changes reach the API at once', function () {
    it('after accounts:update --status frozen, registration and verification answer ABNORMAL_ACCOUNT_STATUS', async function () {
      const account = await createAccount();
      const [node] = (await register(account, 1)).nodes;
      assert.ok(node);
      assert.equal((await verify(node.machineCode, node.token)).status, 200, 'the account state is now loaded in Redis');

      expectExit(await runCli(['accounts:update', '--name', account.name, '--status', 'frozen']), 0);
      const verification = expectOverall(await verify(node.machineCode, node.token), 403, ['ABNORMAL_ACCOUNT_STATUS']);
      assert.deepEqual(verification.overall[0]?.details, { status: 'frozen' });
      const registration = await request(api.app).post('/v1/registrations').send(registrationBody(account, 1));
      expectOverall(registration, 403, ['ABNORMAL_ACCOUNT_STATUS']);

      expectExit(await runCli(['accounts:update', '--name', account.name, '--status', 'active']), 0);
      assert.equal((await verify(node.machineCode, node.token)).status, 200, 'the same token verifies again');
    });

    it("after bindings:release the node's token no longer verifies and its seat is free", async function () {
      const account = await createAccount({ 'max-registrations': '2' });
      const [released, kept] = (await register(account, 2)).nodes;
      assert.ok(released && kept);
      for (const node of [released, kept]) assert.equal((await verify(node.machineCode, node.token)).status, 200);
      const third = registrationBody(account, 1, { prefix: randomName('m') });
      expectNodeCauses(await request(api.app).post('/v1/registrations').send(third), 409, { 'node-1': ['MAX_AUTHORIZATIONS_REACHED'] });

      const run = await runCli(['bindings:release', '--name', account.name, '--machine-code', released.machineCode]);
      expectExit(run, 0);
      assert.deepEqual(run.json(), { name: account.name, machineCode: released.machineCode, released: true });

      expectNodeCauses(await verify(released.machineCode, released.token), 409, { [released.machineCode]: ['NOT_BOUND'] });
      assert.equal((await verify(kept.machineCode, kept.token)).status, 200);
      const registered = await request(api.app).post('/v1/registrations').send(third);
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
      assert.equal((registered.body as Registered).used, 2);

      const shown = (await runCli(['accounts:show', '--name', account.name])).json() as ShownAccount;
      assert.deepEqual(shown.bindings.map((binding) => binding.machineCode).sort(), [kept.machineCode, third.nodes[0]?.machineCode].sort());
      const inRedis = await api.deps.redis.hexists(accountKeys(api.config.redisKeyPrefix, account.id).bindings, released.machineCode);
      assert.equal(inRedis, 0, 'the released binding is gone from Redis too');
      const [entry] = await auditOf(account.name);
      assert.deepEqual(
        { action: entry?.action, actor: entry?.actor, details: entry?.details },
        { action: 'binding.release', actor: ACTOR, details: { name: account.name, machineCode: released.machineCode } },
      );
    });

    it('bindings:release of a machine that is not bound: exit 1, one line, nothing changed', async function () {
      const account = await createAccount();
      await register(account, 1);
      expectOneError(await runCli(['bindings:release', '--name', account.name, '--machine-code', 'never-bound']), 1, /not bound/);
      expectOneError(await runCli(['bindings:release', '--name', randomName(), '--machine-code', 'x']), 1, /no account named/);
      assert.equal((await auditOf(account.name)).length, 1, 'only the creation is audited');
    });

    it('when Redis is unreachable the change stays in MySQL, with a warning and exit 1', async function () {
      const account = await createAccount();
      const unreachable = `redis://127.0.0.1:${await getFreePort()}/0`;
      const run = await runCli(['accounts:update', '--name', account.name, '--status', 'disabled'], {
        REDIS_URL: unreachable,
        REDIS_CLUSTER_NODES: '',
      });
      expectExit(run, 1);
      assert.equal((run.json() as AccountOutput).status, 'disabled');
      const lines = stderrLines(run);
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0] ?? '', /^warning: .*Redis/);
      assert.equal((await api.deps.context.accounts.findByName(account.name))?.settings.status, 'disabled');
      assert.equal((await auditOf(account.name))[0]?.action, 'account.update', 'audited all the same');
    });
  });

  describe('audit:list', function () {
    it('lists the entries newest first, for one account or all, up to --limit', async function () {
      const account = await createAccount();
      expectExit(await runCli(['accounts:update', '--name', account.name, '--status', 'frozen']), 0);
      const entries = await auditOf(account.name);
      assert.deepEqual(
        entries.map((entry) => [entry.action, entry.account, entry.actor]),
        [
          ['account.update', account.name, ACTOR],
          ['account.create', account.name, ACTOR],
        ],
      );
      const limited = await runCli(['audit:list', '--limit', '1']);
      expectExit(limited, 0);
      assert.equal((limited.json() as AuditOutput[]).length, 1);
      expectOneError(await runCli(['audit:list', '--name', randomName()]), 1, /no account named/);
    });
  });
});

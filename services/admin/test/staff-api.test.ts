import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { isAllowed, STAFF_ROLES, type StaffAction, type StaffRole } from '#shared/domain/staff';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { API, startTestAdmin, type LoggedIn, type TestAdmin } from './support/test-admin';

/**
 * The staff API as the admin contract fixes it: every route against every
 * kind of caller, CSRF, session expiry with a moved clock, logout and
 * disabling seen by a second admin process at once, throttling without
 * lockout, If-Match races and the seat rule.
 */
const ACCOUNT = { version: '11.0', expiresAt: '2099-12-31', maxRegistrations: 5 };

describe('staff API', function () {
  this.timeout(60_000);
  let admin: TestAdmin;
  let db: mysql.Connection;
  let root: LoggedIn;

  before(async function () {
    admin = await startTestAdmin();
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    root = await admin.staffAgent('admin');
  });
  after(async function () {
    // Endpoints made here point at a public address: no later worker test should try to reach it.
    await db.query('DELETE FROM webhook_deliveries');
    await db.query('DELETE FROM webhook_endpoints');
    await db.end();
    await admin.close();
  });

  async function newAccount(overrides: Record<string, unknown> = {}): Promise<string> {
    const name = `staff-${randomBytes(5).toString('hex')}`;
    const answer = await root.agent
      .post(`${API}/accounts`)
      .set('X-CSRF-Token', root.csrfToken)
      .send({ name, password: 'S3cret!', ...ACCOUNT, ...overrides });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return name;
  }
  /** An endpoint subscribed to account.changed (an IP literal: no DNS needed), made by the root admin. */
  async function newWebhook(): Promise<string> {
    const answer = await root.agent
      .post(`${API}/webhooks`)
      .set('X-CSRF-Token', root.csrfToken)
      .send({ url: 'http://8.8.8.8/regcloud-test', events: ['account.changed'] });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return (answer.body as { id: string }).id;
  }
  const auditCountBy = async (actor: string) =>
    Number((await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM audit_log WHERE actor = ?', [actor]))[0][0]?.n);
  /**
   * Binds machines to an account straight in the ledger. The account's id is
   * read first: a statement that reads `accounts` cannot insert bindings,
   * whose triggers update it (migration 0013).
   */
  async function bindInLedger(name: string, machineCodes: readonly string[]): Promise<void> {
    const [[account]] = await db.query<mysql.RowDataPacket[]>('SELECT id FROM accounts WHERE name = ?', [name]);
    await db.query('INSERT INTO bindings (account_id, machine_code, nonce, node_id, ip, app_name, app_version) VALUES ?', [
      machineCodes.map((code) => [Number(account?.id), code, 'AAAAAAAAAAAAAAAA', 'n', '203.0.113.7', 'webroot', '11.0']),
    ]);
  }
  const editRevision = async (name: string) =>
    Number((await db.query<mysql.RowDataPacket[]>('SELECT edit_revision FROM accounts WHERE name = ?', [name]))[0][0]?.edit_revision);

  /** A request as some caller makes it: a session (with its CSRF token), a Bearer token, or nothing. */
  type Caller = { kind: 'session'; session: LoggedIn } | { kind: 'token'; token: string; role?: StaffRole } | { kind: 'anonymous' };
  function send(caller: Caller, method: 'get' | 'post' | 'patch' | 'delete', path: string, app = admin.app) {
    const target = caller.kind === 'session' ? caller.session.agent : request(app);
    let test = target[method](`${API}${path}`);
    if (caller.kind === 'session') test = test.set('X-CSRF-Token', caller.session.csrfToken);
    if (caller.kind === 'token') test = test.set('Authorization', `Bearer ${caller.token}`);
    return test;
  }

  interface RouteCase {
    name: string;
    action: StaffAction;
    run(caller: Caller): Promise<request.Response>;
  }

  const routes: RouteCase[] = [
    { name: 'GET /accounts', action: 'read', run: (c) => send(c, 'get', '/accounts') },
    {
      name: 'POST /accounts',
      action: 'account.create',
      run: (c) => send(c, 'post', '/accounts').send({ name: `new-${randomBytes(4).toString('hex')}`, password: 'pw', ...ACCOUNT }),
    },
    { name: 'GET /accounts/{name}', action: 'read', run: async (c) => send(c, 'get', `/accounts/${await newAccount()}`) },
    {
      name: 'PATCH /accounts/{name} status',
      action: 'account.status',
      run: async (c) => {
        const name = await newAccount();
        return send(c, 'patch', `/accounts/${name}`)
          .set('If-Match', `"${await editRevision(name)}"`)
          .send({ status: 'frozen' });
      },
    },
    // Every field but status is an admin's, each on its own and mixed with status (refused whole).
    ...Object.entries({
      version: '12.0',
      expiresAt: '2098-01-31',
      maxRegistrations: 7,
      allowedIps: ['203.0.113.0/24'],
      allowedDomains: ['*.acme.example'],
      allowedAppNames: ['webroot'],
      maxUnbindsPerDay: 3,
      releaseAfterSilentSeconds: 3600,
    }).flatMap(([field, value]) =>
      [false, true].map((withStatus) => ({
        name: `PATCH /accounts/{name} ${field}${withStatus ? ' with status' : ''}`,
        action: 'account.edit' as const,
        run: async (c: Caller) => {
          const name = await newAccount();
          return send(c, 'patch', `/accounts/${name}`)
            .set('If-Match', `"${await editRevision(name)}"`)
            .send({ [field]: value, ...(withStatus ? { status: 'frozen' } : {}) });
        },
      })),
    ),
    {
      name: 'POST /accounts/{name}/password',
      action: 'account.password',
      run: async (c) => send(c, 'post', `/accounts/${await newAccount()}/password`).send({ password: 'n3w-Secret' }),
    },
    { name: 'GET /accounts/{name}/bindings', action: 'read', run: async (c) => send(c, 'get', `/accounts/${await newAccount()}/bindings`) },
    {
      name: 'DELETE /accounts/{name}/bindings/{machineCode}',
      action: 'binding.release',
      run: async (c) => {
        const name = await newAccount();
        await bindInLedger(name, ['M/1 x']);
        return send(c, 'delete', `/accounts/${name}/bindings/${encodeURIComponent('M/1 x')}`);
      },
    },
    {
      name: 'POST /accounts/{name}/releases',
      action: 'binding.release',
      run: async (c) => {
        const name = await newAccount();
        await bindInLedger(name, ['M-2']);
        return send(c, 'post', `/accounts/${name}/releases`).send({ machineCodes: ['M-2', 'never-bound'] });
      },
    },
    { name: 'GET /accounts/{name}/attempts', action: 'read', run: async (c) => send(c, 'get', `/accounts/${await newAccount()}/attempts`) },
    { name: 'GET /audit', action: 'read', run: (c) => send(c, 'get', '/audit?limit=5') },
    { name: 'GET /staff', action: 'staff.manage', run: (c) => send(c, 'get', '/staff') },
    {
      name: 'POST /staff',
      action: 'staff.manage',
      run: (c) =>
        send(c, 'post', '/staff').send({
          email: `s-${randomBytes(4).toString('hex')}@vendor.example`,
          role: 'viewer',
          password: 'long enough password',
        }),
    },
    {
      name: 'PATCH /staff/{email}',
      action: 'staff.manage',
      run: async (c) => send(c, 'patch', `/staff/${(await admin.createStaff('viewer')).email}`).send({ role: 'operator' }),
    },
    { name: 'GET /tokens', action: 'token.own', run: (c) => send(c, 'get', '/tokens') },
    { name: 'POST /tokens', action: 'token.own', run: (c) => send(c, 'post', '/tokens').send({ name: 'mine', role: 'viewer' }) },
    {
      name: 'DELETE /tokens/{id} (its own)',
      action: 'token.own',
      run: async (c) => {
        // The caller's own token where it may make one; an admin's otherwise (a viewer is refused either way).
        const maker = c.kind === 'session' && isAllowed(c.session.role, 'token.own') ? c : ({ kind: 'session', session: root } as const);
        const made = await send(maker, 'post', '/tokens').send({ name: 'to revoke', role: 'viewer' });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        return send(c, 'delete', `/tokens/${(made.body as { id: string }).id}`);
      },
    },
    { name: 'GET /webhooks', action: 'webhook.manage', run: (c) => send(c, 'get', '/webhooks') },
    {
      name: 'POST /webhooks',
      action: 'webhook.manage',
      run: (c) => send(c, 'post', '/webhooks').send({ url: 'http://8.8.8.8/regcloud-test', events: ['binding.created'] }),
    },
    {
      name: 'PATCH /webhooks/{id}',
      action: 'webhook.manage',
      run: async (c) => send(c, 'patch', `/webhooks/${await newWebhook()}`).send({ disabled: true }),
    },
    { name: 'DELETE /webhooks/{id}', action: 'webhook.manage', run: async (c) => send(c, 'delete', `/webhooks/${await newWebhook()}`) },
    {
      name: 'GET /webhooks/{id}/deliveries',
      action: 'webhook.manage',
      run: async (c) => send(c, 'get', `/webhooks/${await newWebhook()}/deliveries?status=pending`),
    },
    {
      name: 'POST /webhooks/{id}/deliveries/{eventId}/retry',
      action: 'webhook.manage',
      run: async (c) => {
        const id = await newWebhook();
        await newAccount();
        const [[row]] = await db.query<mysql.RowDataPacket[]>('SELECT event_id FROM webhook_deliveries WHERE endpoint_id = ? LIMIT 1', [
          id,
        ]);
        return send(c, 'post', `/webhooks/${id}/deliveries/${String(row?.event_id)}/retry`);
      },
    },
  ];

  describe('the role table, route by route', function () {
    const sessions = new Map<StaffRole, LoggedIn>();
    let revokedToken: string;
    let expired: { admin: TestAdmin; session: LoggedIn };

    before(async function () {
      for (const role of STAFF_ROLES) sessions.set(role, await admin.staffAgent(role));
      revokedToken = await admin.token('admin');
      const listed = await root.agent.get(`${API}/tokens`);
      const id = (listed.body as { items: Array<{ id: string }> }).items[0]?.id;
      assert.equal((await root.agent.delete(`${API}/tokens/${id}`).set('X-CSRF-Token', root.csrfToken)).status, 204);
      const other = await startTestAdmin();
      const session = await other.staffAgent('admin');
      other.clock.nowMs += 31 * 60_000;
      expired = { admin: other, session };
    });
    after(async function () {
      await expired.admin.close();
    });

    for (const route of routes) {
      for (const role of STAFF_ROLES) {
        const allowed = isAllowed(role, route.action);
        it(`${route.name}: ${role} ${allowed ? 'may' : 'may not'}`, async function () {
          const session = sessions.get(role) as LoggedIn;
          const before = await auditCountBy(session.email);
          const answer = await route.run({ kind: 'session', session });
          if (allowed) {
            assert.ok(answer.status >= 200 && answer.status < 300, `${answer.status} ${JSON.stringify(answer.body)}`);
          } else {
            assert.equal(answer.status, 403, JSON.stringify(answer.body));
            assert.equal((answer.body as { error: { code: string } }).error.code, 'FORBIDDEN');
            assert.equal(await auditCountBy(session.email), before, 'a refusal changes nothing');
          }
        });
      }
      it(`${route.name}: unauthenticated, a revoked token and an expired session get 401`, async function () {
        for (const caller of [{ kind: 'anonymous' }, { kind: 'token', token: revokedToken }] as Caller[]) {
          const answer = await route.run(caller);
          assert.equal(answer.status, 401, JSON.stringify(answer.body));
          assert.equal((answer.body as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
        }
        const late = await send({ kind: 'session', session: expired.session }, 'get', '/accounts', expired.admin.app);
        assert.equal(late.status, 401);
      });
    }
  });

  describe('what is said first', function () {
    it('answers a role that may not change an account 403 whatever its body holds', async function () {
      const name = await newAccount();
      const viewer = await admin.staffAgent('viewer');
      const answer = await viewer.agent
        .patch(`${API}/accounts/${name}`)
        .set('X-CSRF-Token', viewer.csrfToken)
        .send({ color: 'blue', version: 12 });
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal((answer.body as { error: { code: string } }).error.code, 'FORBIDDEN');
    });

    it('answers an anonymous request 401 before reading its body', async function () {
      const answer = await request(admin.app).post(`${API}/accounts`).set('Content-Type', 'application/json').send('{not json');
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      assert.equal((answer.body as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    });
  });

  describe('CSRF', function () {
    it("refuses a change with no token, a wrong one, or another session's, and lets the right one through", async function () {
      const name = await newAccount();
      const other = await admin.staffAgent('admin');
      for (const token of [undefined, 'wrong', other.csrfToken]) {
        const test = root.agent.post(`${API}/accounts/${name}/password`).send({ password: 'n3w-Secret' });
        const answer = await (token === undefined ? test : test.set('X-CSRF-Token', token));
        assert.equal(answer.status, 403);
        assert.equal((answer.body as { error: { code: string } }).error.code, 'CSRF_FAILED');
      }
      assert.equal(
        (await root.agent.post(`${API}/accounts/${name}/password`).set('X-CSRF-Token', root.csrfToken).send({ password: 'n3w-Secret' }))
          .status,
        204,
      );
    });

    it('needs no CSRF header with a Bearer token', async function () {
      const token = await admin.token('admin');
      assert.equal(
        (await send({ kind: 'token', token }, 'post', `/accounts/${await newAccount()}/password`).send({ password: 'n3w-Secret' })).status,
        204,
      );
    });

    it('reads the Bearer scheme in any case', async function () {
      const token = await admin.token('viewer', 'admin');
      for (const scheme of ['bearer', 'BEARER', 'Bearer ']) {
        assert.equal((await request(admin.app).get(`${API}/accounts`).set('Authorization', `${scheme} ${token}`)).status, 200, scheme);
      }
    });
  });

  describe('sessions', function () {
    let timed: TestAdmin;
    before(async function () {
      timed = await startTestAdmin();
    });
    after(async function () {
      await timed.close();
    });

    it('expire after 30 idle minutes, and stay while used', async function () {
      const session = await timed.staffAgent('viewer');
      for (let i = 0; i < 3; i++) {
        timed.clock.nowMs += 29 * 60_000;
        assert.equal((await session.agent.get(`${API}/accounts`)).status, 200);
      }
      timed.clock.nowMs += 31 * 60_000;
      assert.equal((await session.agent.get(`${API}/accounts`)).status, 401);
    });

    it('expire 12 hours after login however busy', async function () {
      const session = await timed.staffAgent('viewer');
      for (let i = 0; i < 25; i++) {
        timed.clock.nowMs += 29 * 60_000;
        const status = (await session.agent.get(`${API}/accounts`)).status;
        assert.equal(status, (i + 1) * 29 < 12 * 60 ? 200 : 401);
      }
    });

    it('issues a new id at every login, sets the cookie as the contract says, and logs out on every process at once', async function () {
      const staff = await admin.createStaff('operator');
      const first = await request(admin.app).post(`${API}/sessions`).send(staff);
      const second = await request(admin.app).post(`${API}/sessions`).send(staff);
      const cookieOf = (answer: request.Response) => String(answer.headers['set-cookie']?.[0]);
      assert.notEqual(cookieOf(first).split(';')[0], cookieOf(second).split(';')[0]);
      for (const part of ['HttpOnly', 'SameSite=Strict', 'Path=/admin']) assert.ok(cookieOf(first).includes(part), cookieOf(first));

      const login = await request(admin.app).post(`${API}/sessions`).send(staff);
      const sessionCookie = cookieOf(login).split(';')[0] as string;
      const { csrfToken } = login.body as { csrfToken: string };
      const elsewhere = await startTestAdmin();
      try {
        assert.equal((await request(elsewhere.app).get(`${API}/accounts`).set('Cookie', sessionCookie)).status, 200);
        assert.equal(
          (await request(admin.app).delete(`${API}/sessions/current`).set('Cookie', sessionCookie).set('X-CSRF-Token', csrfToken)).status,
          204,
        );
        assert.equal((await request(elsewhere.app).get(`${API}/accounts`).set('Cookie', sessionCookie)).status, 401);
      } finally {
        await elsewhere.close();
      }
    });

    it("ends a disabled staff member's sessions and tokens on every process at once", async function () {
      const staff = await admin.createStaff('operator');
      const session = await admin.logIn(staff);
      const token = (
        await session.agent.post(`${API}/tokens`).set('X-CSRF-Token', session.csrfToken).send({ name: 'bot', role: 'viewer' }).expect(201)
      ).body as { token: string };
      const elsewhere = await startTestAdmin();
      try {
        assert.equal((await request(elsewhere.app).get(`${API}/accounts`).set('Authorization', `Bearer ${token.token}`)).status, 200);
        assert.equal(
          (await root.agent.patch(`${API}/staff/${staff.email}`).set('X-CSRF-Token', root.csrfToken).send({ disabled: true })).status,
          200,
        );
        assert.equal((await request(elsewhere.app).get(`${API}/accounts`).set('Authorization', `Bearer ${token.token}`)).status, 401);
        assert.equal((await session.agent.get(`${API}/accounts`)).status, 401);
        const [revoked] = (
          await db.query<mysql.RowDataPacket[]>(
            "SELECT a.actor, a.details, a.before_json, a.after_json FROM audit_log a JOIN api_tokens t ON t.id = JSON_VALUE(a.details, '$.id') WHERE a.action = 'token.revoke' AND t.created_by = (SELECT id FROM staff WHERE email = ?)",
            [staff.email],
          )
        )[0];
        assert.equal(revoked?.actor, root.email, 'each revoked token has its entry, by whoever disabled its creator');
        assert.equal((JSON.parse(String(revoked.details)) as { name: string }).name, 'bot');
        assert.deepEqual(JSON.parse(String(revoked.before_json)), { name: 'bot', role: 'viewer' });
        assert.equal(revoked.after_json, null);
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe('logins', function () {
    it('answers an unknown email and a wrong password alike', async function () {
      const staff = await admin.createStaff('viewer');
      const wrong = await request(admin.app)
        .post(`${API}/sessions`)
        .set('X-Forwarded-For', '203.0.113.50')
        .send({ ...staff, password: 'not it at all' });
      const unknown = await request(admin.app)
        .post(`${API}/sessions`)
        .set('X-Forwarded-For', '203.0.113.50')
        .send({ email: `nobody-${staff.email}`, password: 'not it at all' });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, unknown.body);
    });

    it('throttles 10 failures of one email from one address, without locking the staff member out elsewhere', async function () {
      const staff = await admin.createStaff('viewer');
      const attempt = (address: string, password = 'wrong password!') =>
        request(admin.app).post(`${API}/sessions`).set('X-Forwarded-For', address).send({ email: staff.email, password });
      for (let i = 0; i < 10; i++) assert.equal((await attempt('203.0.113.60')).status, 401);
      const throttled = await attempt('203.0.113.60', staff.password);
      assert.equal(throttled.status, 429);
      assert.equal((throttled.body as { error: { code: string } }).error.code, 'THROTTLED');
      assert.ok(Number(throttled.headers['retry-after']) > 0);
      assert.equal((await attempt('203.0.113.61', staff.password)).status, 200, 'another address still gets in');
    });

    it('refuses a token with a higher role than its creator', async function () {
      const operator = await admin.staffAgent('operator');
      const answer = await operator.agent
        .post(`${API}/tokens`)
        .set('X-CSRF-Token', operator.csrfToken)
        .send({ name: 'too much', role: 'admin' });
      assert.equal(answer.status, 403);
    });
  });

  describe('tokens', function () {
    it("answers an operator revoking another's token 403, and an unknown token 404, revoking nothing", async function () {
      const operator = await admin.staffAgent('operator');
      const created = await root.agent.post(`${API}/tokens`).set('X-CSRF-Token', root.csrfToken).send({ name: 'theirs', role: 'viewer' });
      const { id, token } = created.body as { id: string; token: string };
      const revoke = (tokenId: string) => operator.agent.delete(`${API}/tokens/${tokenId}`).set('X-CSRF-Token', operator.csrfToken);
      const refused = await revoke(id);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal((refused.body as { error: { code: string } }).error.code, 'FORBIDDEN');
      assert.equal((await revoke('999999999')).status, 404);
      assert.equal((await request(admin.app).get(`${API}/accounts`).set('Authorization', `Bearer ${token}`)).status, 200);
    });
  });

  describe('secrets', function () {
    it('never writes a password, hash or token into the audit trail', async function () {
      const name = await newAccount({ password: 'Initial-Secret-1' });
      await root.agent
        .post(`${API}/accounts/${name}/password`)
        .set('X-CSRF-Token', root.csrfToken)
        .send({ password: 'Reset-Secret-2' })
        .expect(204);
      const created = await root.agent
        .post(`${API}/tokens`)
        .set('X-CSRF-Token', root.csrfToken)
        .send({ name: 'audited', role: 'viewer' })
        .expect(201);
      const staffPassword = 'Staff-Secret-3 long enough';
      await root.agent
        .post(`${API}/staff`)
        .set('X-CSRF-Token', root.csrfToken)
        .send({ email: `audited-${randomBytes(3).toString('hex')}@vendor.example`, role: 'viewer', password: staffPassword })
        .expect(201);
      const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT details, before_json, after_json FROM audit_log');
      const trail = JSON.stringify(rows);
      for (const secret of ['Initial-Secret-1', 'Reset-Secret-2', staffPassword, (created.body as { token: string }).token, '$2b$']) {
        assert.ok(!trail.includes(secret), `${secret} in the audit trail`);
      }
      const [[reset]] = await db.query<mysql.RowDataPacket[]>(
        "SELECT l.before_json, l.after_json FROM audit_log l JOIN accounts a ON a.id = l.account_id WHERE a.name = ? AND l.action = 'account.password_reset'",
        [name],
      );
      assert.deepEqual([reset?.before_json, reset?.after_json], [null, null]);
    });
  });

  describe('editing an account', function () {
    it('lets one of two edits against the same revision through and answers the other 412', async function () {
      const name = await newAccount();
      const other = await admin.staffAgent('admin');
      const revision = `"${await editRevision(name)}"`;
      const [a, b] = await Promise.all([
        root.agent.patch(`${API}/accounts/${name}`).set('X-CSRF-Token', root.csrfToken).set('If-Match', revision).send({ version: '12.0' }),
        other.agent
          .patch(`${API}/accounts/${name}`)
          .set('X-CSRF-Token', other.csrfToken)
          .set('If-Match', revision)
          .send({ maxRegistrations: 9 }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [200, 412]);
      const shown = (await root.agent.get(`${API}/accounts/${name}`)).body as { version: string; maxRegistrations: number };
      assert.ok(
        (a.status === 200 && shown.version === '12.0' && shown.maxRegistrations === 5) ||
          (b.status === 200 && shown.version === '11.0' && shown.maxRegistrations === 9),
      );
    });

    it('answers 428 without If-Match and lists every field problem at once', async function () {
      const name = await newAccount();
      assert.equal(
        (await root.agent.patch(`${API}/accounts/${name}`).set('X-CSRF-Token', root.csrfToken).send({ version: '12.0' })).status,
        428,
      );
      // An unknown account is 404 whatever If-Match says: no precondition turns a 404 into a 428 or 412.
      for (const ifMatch of [undefined, 'not-a-revision', '"1"']) {
        const patch = root.agent.patch(`${API}/accounts/${name}-gone`).set('X-CSRF-Token', root.csrfToken);
        const unknown = await (ifMatch === undefined ? patch : patch.set('If-Match', ifMatch)).send({ version: '12.0' });
        assert.equal(unknown.status, 404, String(ifMatch));
      }
      const answer = await root.agent
        .patch(`${API}/accounts/${name}`)
        .set('X-CSRF-Token', root.csrfToken)
        .set('If-Match', `"${await editRevision(name)}"`)
        .send({ allowedIps: ['203.0.113.0/24', '1.2.3.4/40'], expiresAt: '2027-02-30', color: 'blue' });
      assert.equal(answer.status, 422);
      const fields = (answer.body as { error: { details: { fields: Array<{ field: string }> } } }).error.details.fields.map(
        (problem) => problem.field,
      );
      assert.deepEqual(fields, ['color', 'expiresAt', 'allowedIps[1]']);
      const created = await root.agent
        .post(`${API}/accounts`)
        .set('X-CSRF-Token', root.csrfToken)
        .send({
          name: `new-${randomBytes(4).toString('hex')}`,
          password: 'S3cret!',
          version: '11.0',
          maxRegistrations: 5,
          allowedIps: ['300.1.1.1'],
        });
      assert.equal(created.status, 422);
      assert.deepEqual(
        (created.body as { error: { details: { fields: Array<{ field: string }> } } }).error.details.fields.map((problem) => problem.field),
        ['expiresAt', 'allowedIps[0]'],
      );
      const valuesOnly = await root.agent
        .patch(`${API}/accounts/${name}`)
        .set('X-CSRF-Token', root.csrfToken)
        .set('If-Match', `"${await editRevision(name)}"`)
        .send({ allowedIps: ['203.0.113.0/24', '1.2.3.4/40'], expiresAt: '2027-02-30' });
      assert.deepEqual(
        (valuesOnly.body as { error: { details: { fields: Array<{ field: string }> } } }).error.details.fields.map(
          (problem) => problem.field,
        ),
        ['expiresAt', 'allowedIps[1]'],
      );
    });

    it('changes nothing for a PATCH whose values are already set: no revision, no audit entry, no event', async function () {
      const name = await newAccount();
      const revision = await editRevision(name);
      const entries = await auditCountBy(root.email);
      const events = async () =>
        Number(
          (
            await db.query<mysql.RowDataPacket[]>(
              'SELECT COUNT(*) AS n FROM webhook_events e JOIN accounts a ON a.id = e.account_id WHERE a.name = ?',
              [name],
            )
          )[0][0]?.n,
        );
      const eventsBefore = await events();
      for (const body of [{}, { version: ACCOUNT.version, maxRegistrations: ACCOUNT.maxRegistrations }]) {
        const answer = await root.agent
          .patch(`${API}/accounts/${name}`)
          .set('X-CSRF-Token', root.csrfToken)
          .set('If-Match', `"${revision}"`)
          .send(body);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.headers.etag, `"${revision}"`);
      }
      assert.equal(await editRevision(name), revision);
      assert.equal(await auditCountBy(root.email), entries);
      assert.equal(await events(), eventsBefore);
    });

    it('refuses seats below the bound machines with releaseFirst', async function () {
      const name = await newAccount({ maxRegistrations: 5 });
      await bindInLedger(name, ['m1', 'm2', 'm3']);
      const answer = await root.agent
        .patch(`${API}/accounts/${name}`)
        .set('X-CSRF-Token', root.csrfToken)
        .set('If-Match', `"${await editRevision(name)}"`)
        .send({ maxRegistrations: 1 });
      assert.equal(answer.status, 409);
      assert.deepEqual((answer.body as { error: { code: string; details: unknown } }).error, {
        code: 'CONFLICT',
        message: (answer.body as { error: { message: string } }).error.message,
        details: { used: 3, requested: 1, releaseFirst: 2 },
      });
    });
  });

  describe('what it accepts, it keeps whole', function () {
    /** A PATCH of the account by `caller` against its current revision. */
    const patchAt = async (caller: Caller, name: string, body: object, headers: Record<string, string> = {}) =>
      send(caller, 'patch', `/accounts/${name}`)
        .set({ ...headers, 'If-Match': `"${await editRevision(name)}"` })
        .send(body);
    it('records a change made with the longest request id, by a token with the longest name and by the longest email', async function () {
      const name = await newAccount();
      const requestId = 'q'.repeat(128);
      const patched = await patchAt({ kind: 'session', session: root }, name, { maxRegistrations: 6 }, { 'X-Request-Id': requestId });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const [byRequest] = (await db.query<mysql.RowDataPacket[]>('SELECT actor FROM audit_log WHERE request_id = ?', [requestId]))[0];
      assert.equal(byRequest?.actor, root.email);

      const tokenName = 'n'.repeat(128);
      const created = await root.agent.post(`${API}/tokens`).set('X-CSRF-Token', root.csrfToken).send({ name: tokenName, role: 'admin' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const byToken = await patchAt({ kind: 'token', token: (created.body as { token: string }).token }, name, { maxRegistrations: 7 });
      assert.equal(byToken.status, 200, JSON.stringify(byToken.body));
      assert.equal(await auditCountBy(`token:${tokenName}`), 1);

      const email = `${'e'.repeat(64)}@${'d'.repeat(60)}.${'v'.repeat(60)}.${'x'.repeat(59)}.example`;
      assert.equal(email.length, 254);
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      const staffCreated = await root.agent
        .post(`${API}/staff`)
        .set('X-CSRF-Token', root.csrfToken)
        .send({ email, role: 'admin', password });
      assert.equal(staffCreated.status, 201, JSON.stringify(staffCreated.body));
      const longest = await admin.logIn({ email, password });
      const byEmail = await patchAt({ kind: 'session', session: longest }, name, { maxRegistrations: 8 });
      assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
      assert.equal(await auditCountBy(email), 1);
    });

    it('keeps range lists up to their limit, well past 64 KiB, and refuses a longer one as a field problem', async function () {
      const name = await newAccount();
      const domains = Array.from({ length: 1000 }, (_, i) => `${'h'.repeat(58)}-${i}.${'k'.repeat(30)}.example`);
      const patched = await patchAt({ kind: 'session', session: root }, name, { allowedDomains: domains });
      assert.equal(patched.status, 200, JSON.stringify(patched.body).slice(0, 500));
      const shown = (await root.agent.get(`${API}/accounts/${name}`)).body as { allowedDomains: string[] };
      assert.deepEqual(shown.allowedDomains, domains);
      const longer = await patchAt({ kind: 'session', session: root }, name, { allowedDomains: [...domains, 'one-more.example'] });
      assert.equal(longer.status, 422, JSON.stringify(longer.body).slice(0, 500));
      assert.match(JSON.stringify(longer.body), /allowedDomains/);
    });
  });

  describe('staff changes', function () {
    it('records a staff change with the fields it moved, before and after, and a repeated change as nothing', async function () {
      const email = `moved-${randomBytes(3).toString('hex')}@vendor.example`;
      await root.agent
        .post(`${API}/staff`)
        .set('X-CSRF-Token', root.csrfToken)
        .send({ email, role: 'viewer', password: 'long-enough-password' })
        .expect(201);
      const change = { role: 'operator', disabled: false };
      await root.agent.patch(`${API}/staff/${email}`).set('X-CSRF-Token', root.csrfToken).send(change).expect(200);
      const entriesOf = async () =>
        (
          await db.query<mysql.RowDataPacket[]>(
            "SELECT details, before_json, after_json FROM audit_log WHERE action = 'staff.update' AND JSON_VALUE(details, '$.email') = ? ORDER BY id",
            [email],
          )
        )[0];
      const [entry, ...more] = await entriesOf();
      assert.equal(more.length, 0);
      assert.deepEqual(JSON.parse(String(entry?.before_json)), { role: 'viewer' });
      assert.deepEqual(JSON.parse(String(entry?.after_json)), { role: 'operator' });
      assert.deepEqual(JSON.parse(String(entry?.details)), { email, changes: { role: { from: 'viewer', to: 'operator' } } });
      await root.agent.patch(`${API}/staff/${email}`).set('X-CSRF-Token', root.csrfToken).send(change).expect(200);
      assert.equal((await entriesOf()).length, 1, 'setting what is set writes no entry');
    });
  });

  describe('account lists', function () {
    it('reads an empty query parameter as one not given', async function () {
      const name = await newAccount();
      const answer = await root.agent.get(`${API}/accounts?query=&status=&expiringWithinDays=&limit=&cursor=`).expect(200);
      const items = (answer.body as { items: Array<{ name: string }> }).items;
      assert.ok(
        items.some((item) => item.name === name),
        'the newest account is on the first page',
      );
      await root.agent.get(`${API}/audit?since=&account=&limit=`).expect(200);
    });

    it('lists as expiring within N days the accounts still valid that end by then, not those already expired', async function () {
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const prefix = `exp-${randomBytes(3).toString('hex')}`;
      const made: Record<string, string> = {};
      for (const [label, offset] of [
        ['expired', -1],
        ['today', 0],
        ['soon', 10],
        ['later', 40],
      ] as const) {
        made[label] = `${prefix}-${label}`;
        await root.agent
          .post(`${API}/accounts`)
          .set('X-CSRF-Token', root.csrfToken)
          .send({ name: made[label], password: 'S3cret!', ...ACCOUNT, expiresAt: day(offset) })
          .expect(201);
      }
      const answer = await root.agent.get(`${API}/accounts?query=${prefix}&expiringWithinDays=30`).expect(200);
      const names = (answer.body as { items: Array<{ name: string }> }).items.map((item) => item.name).sort();
      assert.deepEqual(names, [made.soon, made.today].sort());
    });
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import mysql from 'mysql2/promise';
import pino from 'pino';
import request from 'supertest';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { expectFallback } from '#shared/testing/expect-causes';
import { registrationBody, startTestApi, type TestApi } from '#shared/testing/test-api';

/**
 * A stored setting that no longer parses is a fault, never "allow all": an
 * account whose every IP range was dropped as unreadable would have an empty
 * list, which allows any address. Values are written into MySQL directly, as
 * a hand edit or a bad migration would.
 */
describe('an account whose stored settings do not parse', function () {
  let api: TestApi;
  let db: mysql.Connection;
  const logged: string[] = [];

  before(async function () {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    api = await startTestApi({}, { logger: pino({ level: 'error' }, sink) });
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });
  after(async function () {
    await db.end();
    await api.close();
  });

  const cases = [
    { column: 'allowed_ips', stored: JSON.stringify(['10.0.0.0/33']), shown: '10.0.0.0/33' },
    { column: 'allowed_domains', stored: JSON.stringify(['*.exa mple.com']), shown: '*.exa mple.com' },
    { column: 'allowed_app_names', stored: JSON.stringify(['']), shown: 'allowed-app-names' },
    // Values that are not even JSON lists, as a hand edit leaves them.
    { column: 'allowed_ips', stored: '10.0.0.0/8', shown: 'allowed_ips: not a JSON list of strings: "10.0.0.0/8"' },
    { column: 'allowed_domains', stored: '{"a":1}', shown: 'allowed_domains: not a JSON list of strings' },
    { column: 'allowed_app_names', stored: '"webroot"', shown: 'allowed_app_names: not a JSON list of strings: "\\"webroot\\""' },
  ] as const;

  for (const { column, stored, shown } of cases) {
    it(`answers the fallback cause for an unreadable ${column} (${stored}), and logs which account and value`, async function () {
      const account = await api.createAccount({ allowedIps: ['203.0.113.0/24'] });
      await db.query(`UPDATE accounts SET ${column} = ? WHERE id = ?`, [stored, account.id]);
      logged.length = 0;
      expectFallback(
        await request(api.app)
          .post('/v1/registrations')
          .send(registrationBody(account, 1, { node: () => ({ ip: '198.51.100.9' }) })),
        500,
      );
      const line = logged.map((entry) => (JSON.parse(entry) as { err?: { message?: string } }).err?.message ?? '').join('\n');
      assert.match(line, new RegExp(`account ${account.id} has stored settings`));
      assert.ok(line.includes(shown), line);
      const [[row]] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id = ?', [account.id]);
      assert.equal(Number(row?.n), 0, 'nothing was bound');
    });
  }
});

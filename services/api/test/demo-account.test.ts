import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { databaseUrl, RUN_DATABASE, RUN_KEY_PREFIX, SHARED_MYSQL, SHARED_REDIS } from '#shared/testing/test-environment';
import { postJson, startApiProcess } from './support/api-process';

/**
 * `npm start` on a fresh machine comes up with the demo account (README,
 * "Quick start"); a production deploy never does. Each case starts a real
 * API process on a database of its own, as a newcomer's would be.
 */
describe('the demo account', function () {
  this.timeout(60_000);
  const databases: string[] = [];
  let server: mysql.Connection;

  before(async function () {
    server = await mysql.createConnection({ uri: SHARED_MYSQL });
  });
  after(async function () {
    for (const database of databases) await server.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await server.end();
  });

  async function startOnFreshDatabase(env: Record<string, string>) {
    const database = `${RUN_DATABASE}_demo${databases.length}`;
    databases.push(database);
    return startApiProcess({
      MYSQL_URL: databaseUrl(SHARED_MYSQL, database),
      REDIS_URL: SHARED_REDIS,
      REDIS_KEY_PREFIX: `${RUN_KEY_PREFIX}demo${databases.length}:`,
      BCRYPT_COST: '4',
      ...env,
    });
  }

  const demoRegistration = {
    account: 'demo',
    password: 'demo-password',
    appVersion: '11.0.3',
    nodes: [{ nodeId: 'node-1', ip: '203.0.113.7', domain: 'report.acme.com', appName: 'webroot', machineCode: 'M-1' }],
  };

  it('is there for `npm start` with nothing set', async function () {
    const api = await startOnFreshDatabase({});
    try {
      assert.equal((await postJson(`${api.url}/v1/registrations`, demoRegistration)).status, 200);
    } finally {
      await api.stop();
    }
  });

  it('is not there in production', async function () {
    const api = await startOnFreshDatabase({ NODE_ENV: 'production' });
    try {
      assert.equal((await postJson(`${api.url}/v1/registrations`, demoRegistration)).status, 401);
    } finally {
      await api.stop();
    }
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES } from '#shared/domain/causes';
import { accountKeys } from '#shared/storage/redis/keys';
import { expectMatchesNodeOpenApi } from '#shared/testing/node-openapi';
import { RUN_KEY_PREFIX, RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { randomName, registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { BODY_LIMITS } from '../src/routes/bodies';
import { runStoresEnv, startApiProcess, type ApiProcess } from './support/api-process';
import {
  BOUND_MACHINES,
  FIXTURE_ACCOUNTS,
  hostileRequests,
  MACHINE_POOL,
  wireFormOf,
  type HostileRequest,
  type MarkerValues,
  type Route,
} from './support/hostile-requests';

/**
 * A seeded fuzz run against a real API process: FUZZ_RUNS (default 10 000)
 * generated hostile requests to the three POST routes (support/hostile-requests.ts),
 * sent 16 at a time. Every answer must carry a status the contract gives the
 * route (never a 500: nothing a caller sends is an unexpected error), match
 * the served OpenAPI document, use the catalogue's messages, and leak no
 * stack trace or SQL text. Afterwards the process is still up, and for each
 * account MySQL holds no more bindings than its seats and Redis no machine
 * MySQL does not hold.
 *
 * The generated requests are reproducible from the seed (FUZZ_SEED, fixed by
 * default); which of two concurrent requests takes the last seat is not.
 * Skipped with SKIP_LONG_TESTS=1.
 */
const DEFAULT_SEED = 20_260_218;
const BATCH = 16;
const REQUEST_TIMEOUT_MS = 15_000;

function integerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  assert.ok(Number.isSafeInteger(value), `${name} must be an integer, not ${JSON.stringify(raw)}`);
  return value;
}

const SEED = integerFromEnv('FUZZ_SEED', DEFAULT_SEED);
const RUNS = integerFromEnv('FUZZ_RUNS', 10_000);
const REPLAY_PATH = process.env.FUZZ_PATH;
/** FUZZ_SHRINK=0 reports the first failing batch as found, without looking for a smaller one. */
const SHRINK = process.env.FUZZ_SHRINK !== '0';

/** The statuses the contract (and the OpenAPI document) gives each route; no 500, and no 503 with both stores up. */
const STATUSES: Record<Route, ReadonlySet<number>> = {
  '/v1/registrations': new Set([200, 400, 401, 403, 409, 422, 429]),
  '/v1/unbindings': new Set([200, 400, 401, 403, 409, 422, 429]),
  '/v1/verifications': new Set([200, 400, 403, 409]),
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LEAK = /\bat .*\(|SELECT|INSERT|UPDATE |Error:|ER_|errno|node_modules|\.js:\d/;
const STORE_CAUSES = new Set(['REDIS_INSERT_FAILED', 'MYSQL_UPDATE_FAILED']);

interface Cause {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}
interface Answer {
  result?: string;
  account?: string;
  maxRegistrations?: number;
  used?: number;
  overall?: Cause[];
  nodes?: Array<{ causes?: Cause[] }>;
}

/** Every string in a value, object keys included. */
function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsOf(item);
  else if (typeof value === 'object' && value !== null)
    for (const [key, member] of Object.entries(value)) {
      yield key;
      yield* stringsOf(member);
    }
}

/** The text an answer may echo back (node ids, machine codes, the app version): every string of the request body. */
function echoable(body: Buffer): Set<string> {
  try {
    return new Set(stringsOf(JSON.parse(body.toString('utf8'))));
  } catch {
    return new Set();
  }
}

const expectedMessage = (code: string): string | undefined =>
  code === FALLBACK_CAUSE.code
    ? FALLBACK_CAUSE.message
    : (OVERALL_CAUSES[code as keyof typeof OVERALL_CAUSES] as { message: string } | undefined)?.message;

describe('fuzz: hostile requests against a running API process', function () {
  this.timeout(600_000);
  let harness: TestApi;
  let api: ApiProcess;
  let db: mysql.Connection;
  let accounts: Array<TestAccount & { maxRegistrations: number }>;
  let markers: MarkerValues;
  let sent = 0;
  // A prefix of its own: the run's thousands of wrong passwords from 127.0.0.1 must not throttle the test files after it.
  const prefix = `${RUN_KEY_PREFIX}${randomName('fuzz')}:`;
  /** `route status first-code` → how many, printed after the run: what the generators reached. */
  const outcomes = new Map<string, number>();

  before(async function () {
    if (process.env.SKIP_LONG_TESTS === '1') this.skip();
    harness = await startTestApi({ REDIS_KEY_PREFIX: prefix });
    // Few seats each, so the run fills them; the second with every range set, the third certified for another version.
    const settings = [
      { maxRegistrations: 4 },
      {
        maxRegistrations: 5,
        allowedIps: ['203.0.113.0/24', '2001:db8::/32'],
        allowedDomains: ['*.acme.com'],
        allowedAppNames: ['webroot'],
      },
      { maxRegistrations: 2, version: '12' },
    ];
    accounts = [];
    for (const setting of settings)
      accounts.push({ ...(await harness.createAccount(setting)), maxRegistrations: setting.maxRegistrations });
    assert.equal(accounts.length, FIXTURE_ACCOUNTS);
    // Machines bound before the run, so some verifications carry a real token (or one near it).
    const bound: Array<{ machineCode: string; token: string }> = [];
    for (const [owner, count] of [
      [accounts[0], 2],
      [accounts[1], 1],
    ] as const) {
      const body = registrationBody(owner as TestAccount, count, { node: (index) => ({ machineCode: MACHINE_POOL[index] }) });
      const response = await request(harness.app).post('/v1/registrations').send(body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      for (const node of (response.body as { nodes: Array<{ machineCode: string; token: string }> }).nodes)
        bound.push({ machineCode: node.machineCode, token: node.token });
    }
    assert.equal(bound.length, BOUND_MACHINES);
    markers = { accounts, bound };
    // Throttling is not what this run is about: wrong passwords for the real accounts must not lock them out for the rest of it.
    api = await startApiProcess({
      ...runStoresEnv(),
      REDIS_KEY_PREFIX: prefix,
      THROTTLE_PAIR_LIMIT: '1000000',
      THROTTLE_ADDRESS_LIMIT: '1000000',
      THROTTLE_ACCOUNT_LIMIT: '1000000',
    });
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
  });

  after(async function () {
    // after() runs even when before() was skipped or failed half-way.
    /* eslint-disable @typescript-eslint/no-unnecessary-condition -- see above */
    await db?.end();
    await api?.stop();
    await harness?.close();
    /* eslint-enable @typescript-eslint/no-unnecessary-condition */
  });

  /** Sends one request and checks its answer; throws (with the request and the answer) when a property fails. */
  const LIMIT_OF_ROUTE: Record<HostileRequest['route'], number> = {
    '/v1/registrations': BODY_LIMITS.registration,
    '/v1/unbindings': BODY_LIMITS.unbinding,
    '/v1/verifications': BODY_LIMITS.verification,
  };
  const isOversized = (route: HostileRequest['route'], body: string | Uint8Array) =>
    (typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) > LIMIT_OF_ROUTE[route];

  async function sendAndCheck(hostile: HostileRequest): Promise<void> {
    const { headers, body } = wireFormOf(hostile, markers);
    let response: Response;
    try {
      response = await fetch(`${api.url}${hostile.route}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const code = error instanceof Error ? (error.cause as { code?: unknown } | undefined)?.code : undefined;
      // A body over the route's limit is refused unread and the connection closed (body-limits.test.ts checks the answer):
      // fetch, still writing, reports EPIPE or a reset instead of the answer. The process must still be up.
      if (isOversized(hostile.route, body) && (code === 'EPIPE' || code === 'ECONNRESET') && api.isRunning()) {
        sent++;
        return;
      }
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
      throw new Error(`no answer${cause}: the process ${api.isRunning() ? 'is running' : 'has exited'}`, { cause: error });
    }
    const text = await response.text();
    sent++;
    const shown = `POST ${hostile.route} answered ${response.status} ${text.slice(0, 500)}`;
    assert.ok(STATUSES[hostile.route].has(response.status), `a status the contract gives the route: ${shown}`);
    assert.match(response.headers.get('x-request-id') ?? '', UUID, `a request id: ${shown}`);
    if (response.status === 429) assert.match(response.headers.get('retry-after') ?? '', /^\d+$/, `Retry-After on a 429: ${shown}`);
    let answer: Answer;
    try {
      answer = JSON.parse(text) as Answer;
    } catch {
      assert.fail(`the answer is JSON: ${shown}`);
    }
    expectMatchesNodeOpenApi('post', hostile.route, {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: answer,
      text,
    });
    const firstCode = answer.overall?.[0]?.code ?? answer.nodes?.[0]?.causes?.[0]?.code ?? answer.result ?? '?';
    const outcome = `${hostile.route} ${response.status} ${firstCode}`;
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    for (const cause of answer.overall ?? []) {
      assert.equal(cause.message, expectedMessage(cause.code), `the catalogue's message: ${shown}`);
      if (cause.code === 'INCORRECT_PARAMETER') assert.ok(cause.details?.field, `INCORRECT_PARAMETER names its field: ${shown}`);
    }
    const nodeCodes = (answer.nodes ?? []).flatMap((node) => node.causes ?? []);
    for (const cause of nodeCodes)
      assert.equal(cause.message, NODE_CAUSES[cause.code as keyof typeof NODE_CAUSES].message, `the catalogue's message: ${shown}`);
    // No store failed, so no store cause (and so no 503) may appear.
    assert.ok(!nodeCodes.some((cause) => STORE_CAUSES.has(cause.code)), `no store cause with both stores up: ${shown}`);
    const echoed = echoable(body);
    for (const value of stringsOf(answer)) if (!echoed.has(value)) assert.doesNotMatch(value, LEAK, `no stack trace or SQL text: ${shown}`);
    if (hostile.route === '/v1/registrations' && answer.result === 'success') {
      const owner = accounts.find((candidate) => candidate.name === answer.account);
      assert.ok(owner, `registered to a fixture account: ${shown}`);
      assert.equal(answer.maxRegistrations, owner.maxRegistrations);
      assert.ok((answer.used ?? Infinity) <= owner.maxRegistrations, `used within the seats: ${shown}`);
    }
  }

  it(`answers ${RUNS} generated hostile requests as the contract says, and stays up`, async function () {
    const property = fc.asyncProperty(fc.array(hostileRequests, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const results = await Promise.allSettled(batch.map(sendAndCheck));
      const failures = results.flatMap((result, index) =>
        result.status === 'rejected' ? [{ request: batch[index], error: String(result.reason) }] : [],
      );
      // The failing requests of the batch, not just "the batch failed".
      if (failures.length > 0)
        throw new Error(failures.map(({ request, error }) => `${error}\nrequest: ${fc.stringify(request)}`).join('\n\n'));
    });
    const details = await fc.check(property, {
      seed: SEED,
      numRuns: Math.ceil(RUNS / BATCH),
      endOnFailure: !SHRINK,
      ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
    });
    if (details.failed) {
      const replay = `FUZZ_SEED=${details.seed}${details.counterexamplePath ? ` FUZZ_PATH=${details.counterexamplePath}` : ''}`;
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(
        `${cause}\n\n${fc.defaultReportMessage(details) ?? 'the fuzz run failed'}\n\nReplay with: npm run --silent compile && ${replay} npx mocha --no-config --require dist/shared/testing/root-hooks.js --timeout 600000 --exit dist/services/api/test/fuzz.test.js`,
      );
    }
    if (!REPLAY_PATH) assert.ok(sent >= RUNS, `sent ${sent} of ${RUNS} requests`);
    const byStatus = new Map<string, number>();
    for (const [outcome, count] of outcomes) {
      const status = outcome.split(' ')[1] ?? '?';
      byStatus.set(status, (byStatus.get(status) ?? 0) + count);
    }
    console.log(
      `      seed ${SEED}, ${sent} requests: ${[...byStatus]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([status, count]) => `${status}×${count}`)
        .join(' ')}`,
    );
    // FUZZ_VERBOSE=1: what the generators reached, by route, status and first cause.
    if (process.env.FUZZ_VERBOSE === '1')
      for (const [outcome, count] of [...outcomes].sort(([a], [b]) => a.localeCompare(b))) console.log(`        ${outcome}: ${count}`);

    assert.ok(api.isRunning(), 'the API process is still running');
    const health = await fetch(`${api.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it('kept the seat invariant: MySQL within the seats, Redis a subset of MySQL, no seat left reserved', async function () {
    for (const account of accounts) {
      const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT machine_code FROM bindings WHERE account_id = ?', [account.id]);
      const ledger = new Set(rows.map((row) => String(row.machine_code)));
      assert.ok(ledger.size <= account.maxRegistrations, `${account.name}: ${ledger.size} bindings for ${account.maxRegistrations} seats`);
      const keys = accountKeys(prefix, account.id);
      const cached = await harness.deps.redis.hkeys(keys.bindings);
      for (const machineCode of cached) assert.ok(ledger.has(machineCode), `${account.name}: Redis holds ${machineCode}, MySQL does not`);
      assert.deepEqual(await harness.deps.redis.hkeys(keys.pending), [], `${account.name}: no seat still reserved`);
    }
  });
});

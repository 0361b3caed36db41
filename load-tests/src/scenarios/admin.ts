import { randomBytes } from 'node:crypto';
import { encodeCursor } from '#shared/storage/mysql/cursor';
import { createPool } from '#shared/storage/mysql/pool';
import { createStaffDirectory, createTokenSecret } from '#shared/storage/mysql/staff';
import { accountName } from '../dataset/naming';
import { seededAccountCount } from '../dataset/samples';
import { runLoad, type LoadResult } from '../load/run-load';
import { startAdmin } from '../processes/admin';
import type { Harness } from './harness';

/**
 * `admin`: 20 staff at once against one staff-service process over the
 * seeded data set (the issue's figure: 100,000 accounts, 1,000,000 bindings):
 * name-prefix searches, pages of the account list (the first and deep ones,
 * by cursor) and account pages. Each stream's p99 is held to 50 ms.
 * Staff are people: each of the 20 asks every 200 ms (a fast clicker), 100
 * requests a second in all, so the figure is the service's latency, not a
 * queue that a closed loop would build in front of it.
 */
export const ADMIN_P99_TARGET_MS = 50;
const STAFF = 20;
const RATE = STAFF * 5;

export interface AdminResult {
  accounts: number;
  streams: LoadResult[];
}

export async function measureAdmin(harness: Harness, seconds: number): Promise<AdminResult> {
  const accounts = await seededAccountCount(harness.db);
  const pool = createPool({ url: harness.ns.mysqlUrl, size: 2 });
  const secret = createTokenSecret();
  try {
    const staff = createStaffDirectory(pool);
    const audit = { actor: 'load-test', action: 'staff.create', details: {} };
    const email = `load-${randomBytes(4).toString('hex')}@vendor.example`;
    const member = await staff.create(
      { email, role: 'viewer', passwordHash: '$2b$04$loadtestloadtestloadtu0000000000000000000000000000000' },
      audit,
    );
    if (!member) throw new Error('could not create the load-test staff member');
    await staff.createToken({ name: 'load-test', role: 'viewer', createdBy: member.id, secret }, { ...audit, action: 'token.create' });
  } finally {
    await pool.end();
  }

  const admin = await startAdmin(harness.ns);
  try {
    const headers = { authorization: `Bearer ${secret}` };
    const pick = () => 1 + Math.floor(Math.random() * Math.max(accounts, 1));
    // Deep pages: a cursor is the last id of the page before (seeded account n has id n).
    const deepCursors = [0.25, 0.5, 0.9].map((depth) => encodeCursor(Math.max(1, Math.floor(accounts * (1 - depth)))));
    const stream = (label: string, path: () => string) =>
      runLoad({
        label,
        url: admin.url,
        path: '/admin/api/v1/accounts',
        method: 'GET',
        headers,
        connections: STAFF,
        overallRate: RATE,
        seconds,
        next: () => ({ path: path() }),
      });
    harness.log(`admin: ${STAFF} staff at once over ${accounts} accounts, ${seconds} s per stream`);
    const streams = [
      await stream(
        'admin search by name prefix',
        () => `/admin/api/v1/accounts?query=${encodeURIComponent(accountName(pick()).slice(0, -2))}&limit=50`,
      ),
      await stream('admin list pages (first and deep)', () => {
        const cursor = deepCursors[Math.floor(Math.random() * (deepCursors.length + 1))];
        return `/admin/api/v1/accounts?limit=50${cursor ? `&cursor=${cursor}` : ''}`;
      }),
      await stream('admin account page', () => `/admin/api/v1/accounts/${encodeURIComponent(accountName(pick()))}`),
    ];
    for (const s of streams)
      harness.log(
        `${s.label}: ${s.rps.toFixed(0)} req/s, p50 ${s.latencyMs.p50.toFixed(2)} ms, p99 ${s.latencyMs.p99.toFixed(2)} ms, ${s.errorCount} errors`,
      );
    return { accounts, streams };
  } finally {
    await admin.stop();
  }
}

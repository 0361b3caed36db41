import { z } from 'zod';
import { ATTEMPT_KINDS, type Attempt, type AttemptRecord, type AttemptSubject } from '#shared/domain/attempt';
import { FALLBACK_CAUSE, NODE_CAUSES, OVERALL_CAUSES, type NodeCode, type OverallCode } from '#shared/domain/causes';
import { execute, inTransaction, selectRows, type Pool } from './pool';
import { decodeCursor, pageOf, type Page } from './cursor';

/**
 * The attempts support reads (migration 0006): what each registration and
 * unbinding of a known account was answered. Retention, per account: the
 * newest `keptPerAccount` whose credentials failed and the newest
 * `keptPerAccount` whose credentials passed, none older than `keptDays`.
 * Pruning runs after each batch, for the accounts in it, along the index
 * that serves the listing; reads never show what is past its age even
 * before it is pruned.
 */
export type AttemptPage = Page<Attempt>;

export interface Attempts {
  /** The batch, in order, in one transaction: all of it is written or none. */
  insert(batch: readonly AttemptRecord[]): Promise<void>;
  /** Deletes what retention no longer keeps of the batch's accounts, and the oldest of any account past their age. */
  prune(batch: readonly AttemptSubject[]): Promise<void>;
  /**
   * Newest first, in the order recorded (across API processes, within a
   * flush interval of `at` order). A cursor this module did not hand out is
   * refused with InvalidCursor (cursor.ts).
   */
  list(accountId: number, page: { limit: number; cursor?: string }): Promise<AttemptPage>;
}

const answeredCode = z.enum([...(Object.keys(OVERALL_CAUSES) as OverallCode[]), FALLBACK_CAUSE.code]);
const nodeCode = z.enum(Object.keys(NODE_CAUSES) as NodeCode[]);
const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(schema);

const attemptRow = z.object({
  id: z.coerce.number().int().positive(),
  at: z.string(),
  kind: z.enum(ATTEMPT_KINDS),
  result: z.enum(['success', 'failure']),
  status: z.coerce.number().int(),
  overall: jsonText(z.array(answeredCode)),
  nodes: jsonText(z.array(z.object({ nodeId: z.string().nullable(), machineCode: z.string().nullable(), causes: z.array(nodeCode) }))),
  source_address: z.string(),
  request_id: z.string(),
});

const cutoffRow = z.object({
  account_id: z.coerce.number().int().positive(),
  credentials_passed: z.coerce.number().int(),
  id: z.coerce.number().int().positive(),
});

/** DATETIME(3) columns hold UTC (the pool's session zone) as `YYYY-MM-DD HH:MM:SS.mmm`. */
const toDatetime = (date: Date) => date.toISOString().slice(0, 23).replace('T', ' ');
const toIsoUtc = (datetime: string) => `${datetime.replace(' ', 'T')}Z`;

/** Longer than any address express resolves; a forwarded header could hold more, and one long value must not fail its whole batch. */
const SOURCE_ADDRESS_LENGTH = 255;
/**
 * Characters of values per INSERT. A character takes at most 3 bytes of
 * UTF-8, so a statement stays far below max_allowed_packet (16 MiB by
 * default) although one 256-node registration with the longest names holds
 * about 600,000 after JSON escaping.
 */
const INSERT_CHARACTERS = 1_000_000;
/** Groups (account, credentials) per pruning statement. */
const PRUNE_CHUNK = 100;
/** Rows past their age deleted per batch: a backlog is worked off over several batches, never in one long statement. */
const AGE_PRUNE_LIMIT = 1000;

const INSERT_ATTEMPTS = `INSERT INTO attempts
  (account_id, credentials_passed, at, kind, result, status, overall, nodes, source_address, request_id) VALUES ?`;

type RowValues = Array<string | number>;

function attemptValues(a: AttemptRecord): RowValues {
  return [
    a.accountId,
    a.hasPassedCredentials ? 1 : 0,
    toDatetime(a.at),
    a.kind,
    a.result,
    a.status,
    JSON.stringify(a.overall),
    // Picked field by field: whatever else a caller's node object carries (a token) is never written.
    JSON.stringify(a.nodes.map(({ nodeId, machineCode, causes }) => ({ nodeId, machineCode, causes }))),
    a.sourceAddress.slice(0, SOURCE_ADDRESS_LENGTH),
    a.requestId,
  ];
}

/** Consecutive rows whose values together hold at most INSERT_CHARACTERS (a longer row alone). */
function insertChunks(rows: readonly RowValues[]): RowValues[][] {
  const result: RowValues[][] = [];
  let current: RowValues[] = [];
  let characters = 0;
  for (const row of rows) {
    const length = row.reduce<number>((sum, value) => sum + String(value).length, 0);
    if (current.length > 0 && characters + length > INSERT_CHARACTERS) {
      result.push(current);
      current = [];
      characters = 0;
    }
    current.push(row);
    characters += length;
  }
  if (current.length > 0) result.push(current);
  return result;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** The (account, credentials) sets of a batch, each once. */
function groupsOf(batch: readonly AttemptSubject[]): Array<[accountId: number, passed: number]> {
  const seen = new Map<string, [number, number]>();
  for (const { accountId, hasPassedCredentials } of batch) {
    const passed = hasPassedCredentials ? 1 : 0;
    seen.set(`${accountId}:${passed}`, [accountId, passed]);
  }
  return [...seen.values()];
}

/** Written and pruned on `pool`; listed for staff, which may lag, from `laggingReads` (MYSQL_REPLICA_URL). */
export function createAttempts(
  pool: Pool,
  retention: { keptPerAccount: number; keptDays: number; now: () => Date },
  laggingReads: Pool = pool,
): Attempts {
  /** The oldest instant still kept. */
  const ageLimit = () => toDatetime(new Date(retention.now().getTime() - retention.keptDays * 86_400_000));

  /** Deletes each set's attempts from its newest one past the kept count down. */
  async function pruneBeyondCount(groups: ReadonlyArray<[number, number]>): Promise<void> {
    // The newest attempt past the kept count of each set: a backward walk of the
    // account's index entries, the credentials flag read from the index itself.
    const rows = await selectRows(
      pool,
      groups
        .map(
          () =>
            '(SELECT account_id, credentials_passed, id FROM attempts WHERE account_id = ? AND credentials_passed = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
        )
        .join(' UNION ALL '),
      groups.flatMap(([accountId, passed]) => [accountId, passed, retention.keptPerAccount]),
    );
    const cutoffs = rows.map((row) => cutoffRow.parse(row));
    if (cutoffs.length === 0) return;
    await execute(
      pool,
      `DELETE FROM attempts WHERE ${cutoffs.map(() => '(account_id = ? AND credentials_passed = ? AND id <= ?)').join(' OR ')}`,
      cutoffs.flatMap((cutoff) => [cutoff.account_id, cutoff.credentials_passed, cutoff.id]),
    );
  }

  return {
    async insert(batch) {
      if (batch.length === 0) return;
      await inTransaction(pool, async (connection) => {
        for (const rows of insertChunks(batch.map(attemptValues))) await execute(connection, INSERT_ATTEMPTS, [rows]);
      });
    },

    async prune(batch) {
      for (const groups of chunks(groupsOf(batch), PRUNE_CHUNK)) await pruneBeyondCount(groups);
      await execute(pool, 'DELETE FROM attempts WHERE at < ? ORDER BY at LIMIT ?', [ageLimit(), AGE_PRUNE_LIMIT]);
    },

    async list(accountId, { limit, cursor }) {
      const before = decodeCursor(cursor) ?? null;
      const rows = await selectRows(
        laggingReads,
        `SELECT id, at, kind, result, status, overall, nodes, source_address, request_id FROM attempts
         WHERE account_id = ? AND at >= ? ${before === null ? '' : 'AND id < ?'} ORDER BY id DESC LIMIT ?`,
        [accountId, ageLimit(), ...(before === null ? [] : [before]), limit + 1],
      );
      const page = pageOf(
        rows.map((row) => attemptRow.parse(row)),
        limit,
        (r) => r.id,
      );
      return {
        items: page.items.map((r) => ({
          at: toIsoUtc(r.at),
          kind: r.kind,
          result: r.result,
          status: r.status,
          overall: r.overall,
          nodes: r.nodes,
          sourceAddress: r.source_address,
          requestId: r.request_id,
        })),
        nextCursor: page.nextCursor,
      };
    },
  };
}

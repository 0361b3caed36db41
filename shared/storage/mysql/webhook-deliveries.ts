import { z } from 'zod';
import { execute, inTransaction, selectRows, type Pool } from './pool';

/**
 * The worker's side of the webhook outbox: which endpoints have deliveries
 * due, claiming a batch of one endpoint's for an attempt, and recording how
 * each attempt went. MySQL decides everything; a BullMQ job only says "look
 * at endpoint N now", so a job run twice or late finds nothing to claim and
 * sends nothing.
 */
export interface ClaimedDelivery {
  id: number;
  /** Counting this one. */
  attempts: number;
  eventId: string;
  body: string;
  endpointId: number;
  url: string;
  secret: string;
  /** Staff asked for this attempt (the retry route): one more, so a failure fails the delivery again. */
  isRetryRequested: boolean;
}

export type AttemptResult =
  | { kind: 'delivered'; statusCode: number }
  /** Due again in `inSeconds`. */
  | { kind: 'retry'; statusCode: number | null; inSeconds: number }
  | { kind: 'failed'; statusCode: number | null };

export interface WebhookDeliveries {
  /**
   * Endpoints with deliveries whose time has come (an endpoint's only while
   * enabled, unless staff asked for a retry): each is worked as one job.
   */
  dueEndpoints(limit: number): Promise<number[]>;
  /**
   * Takes up to `limit` of one endpoint's due deliveries for an attempt,
   * oldest first: counts each and moves its due time `leaseSeconds` ahead,
   * so a worker that dies mid-attempt leaves them due again. Empty when none
   * is due (delivered, failed, claimed meanwhile).
   */
  claimDue(endpointId: number, options: { limit: number; leaseSeconds: number }): Promise<ClaimedDelivery[]>;
  /** Records claimed attempts' results in one statement; each is ignored when another claim has taken its delivery since. */
  settleAll(settled: ReadonlyArray<{ claimed: ClaimedDelivery; result: AttemptResult }>): Promise<void>;
  /**
   * `410 Gone` from one endpoint: it is disabled and every pending delivery
   * of it failed; those of `gone` (the batch's attempts it answered 410,
   * one at least) record the 410.
   */
  settleGone(endpointId: number, gone: readonly ClaimedDelivery[]): Promise<void>;
  countPending(): Promise<number>;
}

const claimedRow = z.object({
  id: z.coerce.number().int().positive(),
  attempts: z.coerce.number().int(),
  event_id: z.string(),
  body: z.string(),
  endpoint_id: z.coerce.number().int(),
  url: z.string(),
  secret: z.string(),
});

/** The delivery (`d`) is pending and its time has come. */
const DELIVERY_DUE = "d.status = 'pending' AND d.next_attempt_at <= NOW(3)";
/** Its endpoint (`ep`) takes it: enabled, or staff asked for this retry. */
const ENDPOINT_TAKES = '(ep.disabled = 0 OR d.is_retry_requested = 1)';
/** A delivery that may be attempted now. */
const DUE = `${DELIVERY_DUE} AND ${ENDPOINT_TAKES}`;

const microseconds = (seconds: number) => Math.max(0, Math.round(seconds * 1_000_000));

export function createWebhookDeliveries(pool: Pool): WebhookDeliveries {
  return {
    async dueEndpoints(limit) {
      const rows = await selectRows(
        pool,
        `SELECT DISTINCT d.endpoint_id FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         WHERE ${DUE} LIMIT ?`,
        [limit],
      );
      return rows.map((row) => Number(row.endpoint_id));
    },

    async claimDue(endpointId, { limit, leaseSeconds }) {
      // Which are due, read without a lock along ix_webhook_deliveries_endpoint, in id (event) order.
      const candidates = await selectRows(
        pool,
        `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         WHERE d.endpoint_id = ? AND ${DUE} ORDER BY d.id LIMIT ?`,
        [endpointId, limit],
      );
      if (candidates.length === 0) return [];
      return inTransaction(pool, async (connection) => {
        // Then locked by primary key and checked again: record locks only, no gap and no endpoint row, so a
        // registration inserting this endpoint's next deliveries (holding its row shared) never waits on a claim,
        // nor a claim on it. The endpoint is read in the select list, which locks nothing.
        const locked = await selectRows(
          connection,
          `SELECT d.id, d.is_retry_requested, (SELECT ${ENDPOINT_TAKES} FROM webhook_endpoints ep WHERE ep.id = d.endpoint_id) AS takes
           FROM webhook_deliveries d WHERE d.id IN (?) AND ${DELIVERY_DUE} FOR UPDATE`,
          [candidates.map((row) => Number(row.id))],
        );
        const taken = locked.filter((row) => Number(row.takes) === 1);
        const ids = taken.map((row) => Number(row.id));
        // Read before the claim clears it: the attempt it asked for is this one.
        const requested = new Set(taken.filter((row) => Number(row.is_retry_requested) === 1).map((row) => Number(row.id)));
        if (ids.length === 0) return [];
        await execute(
          connection,
          `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = NOW(3) + INTERVAL ? MICROSECOND, is_retry_requested = 0
           WHERE id IN (?)`,
          [microseconds(leaseSeconds), ids],
        );
        const rows = await selectRows(
          connection,
          `SELECT d.id, d.attempts, d.event_id, ev.body, d.endpoint_id, ep.url, ep.secret
           FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
           WHERE d.id IN (?) ORDER BY d.id`,
          [ids],
        );
        return rows.map((row) => {
          const r = claimedRow.parse(row);
          return {
            id: r.id,
            attempts: r.attempts,
            eventId: r.event_id,
            body: r.body,
            endpointId: r.endpoint_id,
            url: r.url,
            secret: r.secret,
            isRetryRequested: requested.has(r.id),
          };
        });
      });
    },

    async settleAll(settled) {
      if (settled.length === 0) return;
      // The results as a derived table joined on (id, attempts): a result whose claim was overtaken matches nothing.
      const results = settled.map(() => 'SELECT ? AS id, ? AS attempts, ? AS status, ? AS code, ? AS due_in').join(' UNION ALL ');
      await execute(
        pool,
        `UPDATE webhook_deliveries d JOIN (${results}) r ON r.id = d.id AND r.attempts = d.attempts
         SET d.status = r.status, d.last_status_code = r.code,
           d.next_attempt_at = IF(r.status = 'pending', NOW(3) + INTERVAL r.due_in MICROSECOND, NULL)
         WHERE d.status = 'pending'`,
        settled.flatMap(({ claimed, result }) => [
          claimed.id,
          claimed.attempts,
          result.kind === 'retry' ? 'pending' : result.kind,
          result.statusCode,
          result.kind === 'retry' ? microseconds(result.inSeconds) : 0,
        ]),
      );
    },

    settleGone(endpointId, gone) {
      return inTransaction(pool, async (connection) => {
        await execute(connection, 'UPDATE webhook_endpoints SET disabled = 1 WHERE id = ?', [endpointId]);
        // Each only if its claim still holds, as settleAll records results.
        await execute(connection, 'UPDATE webhook_deliveries SET last_status_code = 410 WHERE (id, attempts) IN (?)', [
          gone.map((claimed) => [claimed.id, claimed.attempts]),
        ]);
        await execute(
          connection,
          "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, is_retry_requested = 0 WHERE endpoint_id = ? AND status = 'pending'",
          [endpointId],
        );
      });
    },

    async countPending() {
      const [row] = await selectRows(pool, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'");
      return Number(row?.n);
    },
  };
}

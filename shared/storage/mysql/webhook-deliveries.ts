import { z } from 'zod';
import { execute, inTransaction, selectRows, type Pool } from './pool';

/**
 * The worker's side of the webhook outbox: which deliveries are due, claiming
 * one for an attempt, and recording how the attempt went. MySQL decides
 * everything; a BullMQ job only says "look at delivery N now", so a job run
 * twice or late finds nothing to claim and sends nothing.
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
}

export type AttemptResult =
  | { kind: 'delivered'; statusCode: number }
  /** Due again in `inSeconds`. */
  | { kind: 'retry'; statusCode: number | null; inSeconds: number }
  | { kind: 'failed'; statusCode: number | null };

export interface WebhookDeliveries {
  /** Ids of pending deliveries whose time has come (an endpoint's only while enabled, unless staff asked for a retry), soonest first. */
  due(limit: number): Promise<number[]>;
  /**
   * Takes one due delivery for an attempt: counts it and moves its due time
   * `leaseSeconds` ahead, so a worker that dies mid-attempt leaves it due
   * again. Null when it is not due (delivered, failed, claimed meanwhile).
   */
  claim(id: number, leaseSeconds: number): Promise<ClaimedDelivery | null>;
  /** Records a claimed attempt's result; ignored when another claim has taken the delivery since. */
  settle(claimed: ClaimedDelivery, result: AttemptResult): Promise<void>;
  /** `410 Gone`: the endpoint is disabled and every pending delivery of it failed, this one included. */
  settleGone(claimed: ClaimedDelivery): Promise<void>;
  countPending(): Promise<number>;
}

const claimedRow = z.object({
  attempts: z.coerce.number().int(),
  event_id: z.string(),
  body: z.string(),
  endpoint_id: z.coerce.number().int(),
  url: z.string(),
  secret: z.string(),
});

const microseconds = (seconds: number) => Math.max(0, Math.round(seconds * 1_000_000));

export function createWebhookDeliveries(pool: Pool): WebhookDeliveries {
  return {
    async due(limit) {
      const rows = await selectRows(
        pool,
        `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= NOW(3) AND (ep.disabled = 0 OR d.is_retry_requested = 1)
         ORDER BY d.next_attempt_at LIMIT ?`,
        [limit],
      );
      return rows.map((row) => Number(row.id));
    },

    async claim(id, leaseSeconds) {
      const taken = await execute(
        pool,
        `UPDATE webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         SET d.attempts = d.attempts + 1, d.next_attempt_at = NOW(3) + INTERVAL ? MICROSECOND, d.is_retry_requested = 0
         WHERE d.id = ? AND d.status = 'pending' AND d.next_attempt_at <= NOW(3) AND (ep.disabled = 0 OR d.is_retry_requested = 1)`,
        [microseconds(leaseSeconds), id],
      );
      if (taken.affectedRows === 0) return null;
      const [row] = await selectRows(
        pool,
        `SELECT d.attempts, d.event_id, ev.body, d.endpoint_id, ep.url, ep.secret
         FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         WHERE d.id = ?`,
        [id],
      );
      if (!row) return null;
      const r = claimedRow.parse(row);
      return { id, attempts: r.attempts, eventId: r.event_id, body: r.body, endpointId: r.endpoint_id, url: r.url, secret: r.secret };
    },

    async settle(claimed, result) {
      const [status, dueSql, dueParams] =
        result.kind === 'retry'
          ? ['pending', 'NOW(3) + INTERVAL ? MICROSECOND', [microseconds(result.inSeconds)]]
          : [result.kind, 'NULL', []];
      await execute(
        pool,
        `UPDATE webhook_deliveries SET status = ?, last_status_code = ?, next_attempt_at = ${dueSql}
         WHERE id = ? AND attempts = ? AND status = 'pending'`,
        [status, result.statusCode, ...dueParams, claimed.id, claimed.attempts],
      );
    },

    settleGone(claimed) {
      return inTransaction(pool, async (connection) => {
        await execute(connection, 'UPDATE webhook_endpoints SET disabled = 1 WHERE id = ?', [claimed.endpointId]);
        await execute(connection, 'UPDATE webhook_deliveries SET last_status_code = 410 WHERE id = ? AND attempts = ?', [
          claimed.id,
          claimed.attempts,
        ]);
        await execute(
          connection,
          "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, is_retry_requested = 0 WHERE endpoint_id = ? AND status = 'pending'",
          [claimed.endpointId],
        );
      });
    },

    async countPending() {
      const [row] = await selectRows(pool, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'");
      return Number(row?.n);
    },
  };
}

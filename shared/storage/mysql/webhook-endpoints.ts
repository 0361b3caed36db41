import { z } from 'zod';
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, type DeliveryStatus, type WebhookEventType } from '#shared/domain/webhooks';
import { insertAuditEntry, type AuditStamp } from './audit';
import { decodeCursor, pageOf, type Page } from './cursor';
import { execute, inTransaction, selectRows, type Pool, type PoolConnection } from './pool';

/**
 * Webhook endpoints as staff manage them (admin API), and their deliveries
 * as staff read and retry them. Every change is audited in its own
 * transaction with the endpoint's URL, types and state: never its secret.
 */
export interface WebhookEndpoint {
  id: number;
  url: string;
  eventTypes: WebhookEventType[];
  disabled: boolean;
}

export interface WebhookDelivery {
  id: number;
  eventId: string;
  type: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

/** Who changes an endpoint; what changed is filled in here. */
export type EndpointAudit = Pick<AuditStamp, 'actor' | 'sourceAddress' | 'requestId'>;

export interface WebhookEndpoints {
  list(page: { limit: number; cursor?: string }): Promise<Page<WebhookEndpoint>>;
  find(id: number): Promise<WebhookEndpoint | null>;
  create(input: { url: string; eventTypes: WebhookEventType[]; secret: string }, audit: EndpointAudit): Promise<WebhookEndpoint>;
  /** Null when there is no such endpoint. */
  update(
    id: number,
    change: { eventTypes?: WebhookEventType[]; disabled?: boolean },
    audit: EndpointAudit,
  ): Promise<WebhookEndpoint | null>;
  /** The endpoint and its deliveries; false when there is no such endpoint. */
  remove(id: number, audit: EndpointAudit): Promise<boolean>;
  /** Newest first. */
  listDeliveries(endpointId: number, query: { status?: DeliveryStatus; limit: number; cursor?: string }): Promise<Page<WebhookDelivery>>;
  /**
   * One more attempt now, whatever the delivery's status (and even while the
   * endpoint is disabled): the worker's dispatcher picks it up. False when
   * the endpoint has no delivery of that event.
   */
  requestRetry(endpointId: number, eventId: string): Promise<boolean>;
}

const eventTypeList = z.string().transform((text) => z.array(z.enum(WEBHOOK_EVENT_TYPES)).parse(JSON.parse(text)));

const endpointRow = z.object({
  id: z.coerce.number().int().positive(),
  url: z.string(),
  event_types: eventTypeList,
  disabled: z.coerce.number().transform((value) => value === 1),
});

const deliveryRow = z.object({
  id: z.coerce.number().int().positive(),
  event_id: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.coerce.number().int(),
  last_status_code: z.coerce.number().int().nullable(),
  next_attempt_at: z.string().nullable(),
  created_at: z.string(),
});

const toEndpoint = (row: unknown): WebhookEndpoint => {
  const r = endpointRow.parse(row);
  return { id: r.id, url: r.url, eventTypes: r.event_types, disabled: r.disabled };
};

/** The audited side of an endpoint: everything staff see, never the secret. */
const audited = (endpoint: WebhookEndpoint) => ({ url: endpoint.url, events: endpoint.eventTypes, disabled: endpoint.disabled });

const ENDPOINT_COLUMNS = 'id, url, event_types, disabled';

async function lockEndpoint(connection: PoolConnection, id: number): Promise<WebhookEndpoint | null> {
  const [row] = await selectRows(connection, `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ? FOR UPDATE`, [id]);
  return row ? toEndpoint(row) : null;
}

export function createWebhookEndpoints(pool: Pool): WebhookEndpoints {
  return {
    async list({ limit, cursor }) {
      const rows = await selectRows(pool, `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id < ? ORDER BY id DESC LIMIT ?`, [
        decodeCursor(cursor) ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      ]);
      return pageOf(rows.map(toEndpoint), limit, (endpoint) => endpoint.id);
    },

    async find(id) {
      const [row] = await selectRows(pool, `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?`, [id]);
      return row ? toEndpoint(row) : null;
    },

    create({ url, eventTypes, secret }, audit) {
      return inTransaction(pool, async (connection) => {
        const result = await execute(connection, 'INSERT INTO webhook_endpoints (url, secret, event_types) VALUES (?, ?, ?)', [
          url,
          secret,
          JSON.stringify(eventTypes),
        ]);
        const endpoint: WebhookEndpoint = { id: result.insertId, url, eventTypes, disabled: false };
        await insertAuditEntry(connection, {
          ...audit,
          action: 'webhook.create',
          accountId: null,
          details: { id: endpoint.id, url },
          before: null,
          after: audited(endpoint),
        });
        return endpoint;
      });
    },

    update(id, change, audit) {
      return inTransaction(pool, async (connection) => {
        const before = await lockEndpoint(connection, id);
        if (!before) return null;
        const after: WebhookEndpoint = {
          ...before,
          ...(change.eventTypes === undefined ? {} : { eventTypes: change.eventTypes }),
          ...(change.disabled === undefined ? {} : { disabled: change.disabled }),
        };
        await execute(connection, 'UPDATE webhook_endpoints SET event_types = ?, disabled = ? WHERE id = ?', [
          JSON.stringify(after.eventTypes),
          after.disabled ? 1 : 0,
          id,
        ]);
        const was: Record<string, unknown> = audited(before);
        const now: Record<string, unknown> = audited(after);
        const changed = Object.keys(now).filter((field) => JSON.stringify(was[field]) !== JSON.stringify(now[field]));
        await insertAuditEntry(connection, {
          ...audit,
          action: 'webhook.update',
          accountId: null,
          details: { id, url: before.url },
          before: Object.fromEntries(changed.map((field) => [field, was[field]])),
          after: Object.fromEntries(changed.map((field) => [field, now[field]])),
        });
        return after;
      });
    },

    remove(id, audit) {
      return inTransaction(pool, async (connection) => {
        const endpoint = await lockEndpoint(connection, id);
        if (!endpoint) return false;
        await execute(connection, 'DELETE FROM webhook_deliveries WHERE endpoint_id = ?', [id]);
        await execute(connection, 'DELETE FROM webhook_endpoints WHERE id = ?', [id]);
        await insertAuditEntry(connection, {
          ...audit,
          action: 'webhook.delete',
          accountId: null,
          details: { id, url: endpoint.url },
          before: audited(endpoint),
          after: null,
        });
        return true;
      });
    },

    async listDeliveries(endpointId, { status, limit, cursor }) {
      const rows = await selectRows(
        pool,
        `SELECT d.id, d.event_id, ev.type, d.status, d.attempts, d.last_status_code, d.next_attempt_at, d.created_at
         FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
         WHERE d.endpoint_id = ? ${status === undefined ? '' : 'AND d.status = ?'} AND d.id < ? ORDER BY d.id DESC LIMIT ?`,
        [endpointId, ...(status === undefined ? [] : [status]), decodeCursor(cursor) ?? Number.MAX_SAFE_INTEGER, limit + 1],
      );
      const page = pageOf(rows, limit, (row) => Number(row.id));
      return {
        items: page.items.map((row): WebhookDelivery => {
          const r = deliveryRow.parse(row);
          return {
            id: r.id,
            eventId: r.event_id,
            type: r.type,
            status: r.status,
            attempts: r.attempts,
            lastStatusCode: r.last_status_code,
            nextAttemptAt: r.next_attempt_at,
            createdAt: r.created_at,
          };
        }),
        nextCursor: page.nextCursor,
      };
    },

    async requestRetry(endpointId, eventId) {
      const result = await execute(
        pool,
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = NOW(3), is_retry_requested = 1
         WHERE endpoint_id = ? AND event_id = ?`,
        [endpointId, eventId],
      );
      return result.affectedRows === 1;
    },
  };
}

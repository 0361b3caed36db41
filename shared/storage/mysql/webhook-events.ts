import { randomBytes } from 'node:crypto';
import type { WebhookEventType } from '#shared/domain/webhooks';
import { execute, type PoolConnection } from './pool';

/**
 * The webhook outbox (migration 0010): the one way any transaction announces
 * what it changed. Call `recordEvent` (or `recordEvents` for several of one
 * account) with the transaction's connection, after the change's own
 * statements; the events commit or roll back with the change, so an event is
 * never announced for a change that did not happen, nor lost for one that did.
 *
 * Each event gets the account's next `sequence`, taken by bumping
 * `accounts.event_sequence`: that UPDATE locks the account row, which ledger
 * transactions lock first anyway (lock it first yourself if your transaction
 * locks other rows, to keep their lock order). It also gets one pending
 * delivery per enabled endpoint subscribed to its type, fanned out here with
 * one INSERT … SELECT. Three cheap statements per call, whatever the number
 * of events; the worker delivers from these rows.
 */
export interface EventInput {
  accountId: number;
  type: WebhookEventType;
  /** The event's `data` without `sequence`, which is added here: the account's name and what the contract lists for the type. */
  data: Record<string, unknown>;
}

/** The `webhook-id` of an event: the same on every retry, unique across events. */
function newEventId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}

/**
 * `movesRevision`: the change being announced changed the account's bindings,
 * so its `revision` moves too (Redis is fenced with it); the same UPDATE that
 * numbers the events does it, one statement for both.
 */
export async function recordEvents(
  connection: PoolConnection,
  accountId: number,
  events: ReadonlyArray<Omit<EventInput, 'accountId'>>,
  options: { movesRevision?: boolean } = {},
): Promise<void> {
  if (events.length === 0) return;
  // LAST_INSERT_ID(expr) hands the new value back in the OK packet: no SELECT needed.
  // Without a revision move, updated_at is set to itself: numbering an event is not a change of the account.
  const bumped = await execute(
    connection,
    options.movesRevision === true
      ? 'UPDATE accounts SET event_sequence = LAST_INSERT_ID(event_sequence + ?), revision = revision + 1 WHERE id = ?'
      : 'UPDATE accounts SET event_sequence = LAST_INSERT_ID(event_sequence + ?), updated_at = updated_at WHERE id = ?',
    [events.length, accountId],
  );
  if (bumped.affectedRows !== 1) throw new Error(`cannot record events of account ${accountId}: no such account`);
  const first = bumped.insertId - events.length + 1;
  const timestamp = new Date().toISOString();
  const rows = events.map((event, index) => {
    const sequence = first + index;
    const body = JSON.stringify({ type: event.type, timestamp, data: { ...event.data, sequence } });
    return [newEventId(), accountId, sequence, event.type, body];
  });
  await execute(connection, 'INSERT INTO webhook_events (id, account_id, sequence, type, body) VALUES ?', [rows]);
  await execute(
    connection,
    `INSERT INTO webhook_deliveries (event_id, endpoint_id)
     SELECT ev.id, ep.id FROM webhook_events ev
     JOIN webhook_endpoints ep ON ep.disabled = 0 AND JSON_CONTAINS(ep.event_types, JSON_QUOTE(ev.type))
     WHERE ev.id IN (?)`,
    [rows.map((row) => row[0] as string)],
  );
}

export function recordEvent(connection: PoolConnection, event: EventInput): Promise<void> {
  return recordEvents(connection, event.accountId, [{ type: event.type, data: event.data }]);
}

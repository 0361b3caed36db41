import { randomBytes } from 'node:crypto';
import type { WebhookEventType } from '#shared/domain/webhooks';
import { executeAll, type PoolConnection, type ResultSetHeader, type RowDataPacket, type Statement } from './pool';

/**
 * The webhook outbox (migration 0010): the one way any transaction announces
 * what it changed. Call `recordEvent` (or `recordEvents` for several of one
 * account) with the transaction's connection, after the change's own
 * statements; the events commit or roll back with the change, so an event is
 * never announced for a change that did not happen, nor lost for one that did.
 *
 * Each event gets the account's next `sequence`, after the
 * `accounts.event_sequence` the caller read under the account's row lock
 * (`SELECT … FOR UPDATE`, which ledger transactions take first anyway), and
 * bumps it. It also gets one pending delivery per enabled endpoint
 * subscribed to its type, fanned out with one INSERT … SELECT. Three cheap
 * statements in one round trip, whatever the number of events; the worker
 * delivers from these rows.
 */
export interface EventInput {
  type: WebhookEventType;
  /** The event's `data` without `sequence`, which is added here: the account's name and what the contract lists for the type. */
  data: Record<string, unknown>;
}

/** The `webhook-id` of an event: the same on every retry, unique across events. */
function newEventId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}

/** An account as its transaction read it under the row lock: events are numbered after `eventSequence`. */
export interface LockedForEvents {
  accountId: number;
  eventSequence: number;
}

const INSERT_DELIVERIES = `INSERT INTO webhook_deliveries (event_id, endpoint_id)
     SELECT ev.id, ep.id FROM webhook_events ev
     JOIN webhook_endpoints ep ON ep.disabled = 0 AND JSON_CONTAINS(ep.event_types, JSON_QUOTE(ev.type))
     WHERE ev.id IN (?)`;

/**
 * The statements that record `events`, for a caller that sends them in a
 * batch of its own (`executeAndCommit`); the first is the numbering UPDATE,
 * whose result `checkNumbered` checks. `movesRevision`: the change being
 * announced changed the account's bindings, so its `revision` moves too
 * (Redis is fenced with it); the same UPDATE does both. Without a revision
 * move, updated_at is set to itself: numbering an event is not a change of
 * the account.
 */
export function eventStatements(
  account: LockedForEvents,
  events: readonly EventInput[],
  options: { movesRevision?: boolean } = {},
): Statement[] {
  const { accountId, eventSequence } = account;
  const timestamp = new Date().toISOString();
  const rows = events.map((event, index) => {
    const sequence = eventSequence + 1 + index;
    const body = JSON.stringify({ type: event.type, timestamp, data: { ...event.data, sequence } });
    return [newEventId(), accountId, sequence, event.type, body];
  });
  // The guard on the sequence read makes a caller that did not hold the row lock fail, not renumber.
  const numbering =
    options.movesRevision === true
      ? 'UPDATE accounts SET event_sequence = ?, revision = revision + 1 WHERE id = ? AND event_sequence = ?'
      : 'UPDATE accounts SET event_sequence = ?, updated_at = updated_at WHERE id = ? AND event_sequence = ?';
  return [
    { sql: numbering, params: [eventSequence + events.length, accountId, eventSequence] },
    { sql: 'INSERT INTO webhook_events (id, account_id, sequence, type, body) VALUES ?', params: [rows] },
    { sql: INSERT_DELIVERIES, params: [rows.map((row) => row[0] as string)] },
  ];
}

/** Throws unless the numbering UPDATE of `eventStatements` (its result given) moved the sequence it read. */
export function checkNumbered(result: RowDataPacket[] | ResultSetHeader | undefined, account: LockedForEvents): void {
  if (result === undefined || !('affectedRows' in result) || result.affectedRows !== 1) {
    throw new Error(`cannot record events of account ${account.accountId}: its event sequence is not ${account.eventSequence}`);
  }
}

/** Records events in one round trip, within the caller's transaction. */
export async function recordEvents(
  connection: PoolConnection,
  account: LockedForEvents,
  events: readonly EventInput[],
  options: { movesRevision?: boolean } = {},
): Promise<void> {
  if (events.length === 0) return;
  const [numbered] = await executeAll(connection, eventStatements(account, events, options));
  checkNumbered(numbered, account);
}

export function recordEvent(connection: PoolConnection, account: LockedForEvents, event: EventInput): Promise<void> {
  return recordEvents(connection, account, [event]);
}

import type { AccountUsage } from '#shared/storage/mysql/account-directory';
import type { AuditEntry } from '#shared/storage/mysql/audit';
import type { BindingView } from '#shared/storage/mysql/bindings';
import type { StaffRecord, TokenRecord } from '#shared/storage/mysql/staff';
import type { WebhookDelivery, WebhookEndpoint } from '#shared/storage/mysql/webhook-endpoints';
import type { AccountJson, AuditEntryJson, BindingJson, DeliveryJson, StaffJson, TokenJson, WebhookJson } from './schemas';

/**
 * The staff contract's JSON shapes ("Shapes"), built field by field from the
 * records so a password hash, nonce or token secret cannot leak by accident.
 */

/** MySQL's `YYYY-MM-DD HH:MM:SS.mmm` (UTC, as the pool reads it) as ISO 8601. */
export function isoTime(datetime: string): string;
export function isoTime(datetime: string | null): string | null;
export function isoTime(datetime: string | null): string | null {
  return datetime === null ? null : `${datetime.replace(' ', 'T')}${datetime.includes('.') ? '' : '.000'}Z`;
}

/** ISO 8601 in, MySQL's UTC DATETIME text out (for filters); null when it is no instant. */
export function datetimeOf(iso: string): string | null {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? null : new Date(time).toISOString().replace('T', ' ').replace('Z', '');
}

export function accountView({ record, used }: AccountUsage): AccountJson {
  const { settings, policy } = record;
  return {
    name: record.certificate.name,
    status: settings.status,
    version: settings.version,
    expiresAt: settings.expiresAt,
    maxRegistrations: settings.maxRegistrations,
    used,
    allowedIps: [...settings.allowedIps],
    allowedDomains: [...settings.allowedDomains],
    allowedAppNames: [...settings.allowedAppNames],
    maxUnbindsPerDay: policy.maxUnbindsPerDay,
    releaseAfterSilentSeconds: policy.releaseAfterSilentSeconds,
    revision: record.editRevision,
    createdAt: isoTime(record.createdAt),
    updatedAt: isoTime(record.updatedAt),
  };
}

export function bindingView(row: BindingView): BindingJson {
  return {
    machineCode: row.machine_code,
    nodeId: row.node_id,
    ip: row.ip,
    domain: row.domain,
    appName: row.app_name,
    mac: row.mac,
    appVersion: row.app_version,
    boundAt: isoTime(row.bound_at),
    lastSeenAt: isoTime(row.last_seen_at),
  };
}

export function staffView(staff: StaffRecord): StaffJson {
  return {
    email: staff.email,
    role: staff.role,
    disabled: staff.disabled,
    createdAt: isoTime(staff.createdAt),
    lastLoginAt: isoTime(staff.lastLoginAt),
  };
}

export function tokenView(token: TokenRecord): TokenJson {
  return {
    id: String(token.id),
    name: token.name,
    role: token.role,
    createdBy: token.createdByEmail,
    createdAt: isoTime(token.createdAt),
    lastUsedAt: isoTime(token.lastUsedAt),
  };
}

export function auditView(entry: AuditEntry): AuditEntryJson {
  return {
    id: String(entry.id),
    at: isoTime(entry.at),
    actor: entry.actor,
    action: entry.action,
    account: entry.account,
    before: entry.before,
    after: entry.after,
    sourceAddress: entry.sourceAddress,
    requestId: entry.requestId,
  };
}

/** Never the secret: it is shown once, by the creating route alone. */
export function webhookView(endpoint: WebhookEndpoint): WebhookJson {
  return { id: String(endpoint.id), url: endpoint.url, events: [...endpoint.eventTypes], disabled: endpoint.disabled };
}

export function deliveryView(delivery: WebhookDelivery): DeliveryJson {
  return {
    eventId: delivery.eventId,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    nextAttemptAt: isoTime(delivery.nextAttemptAt),
    createdAt: isoTime(delivery.createdAt),
  };
}

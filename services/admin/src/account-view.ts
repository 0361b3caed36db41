import type { AccountSettings } from '#shared/domain/account-settings';
import type { AccountRecord } from '#shared/storage/mysql/accounts';
import type { BindingView } from '#shared/storage/mysql/bindings';

/**
 * The JSON staff see of an account and its bindings. Built field by field from
 * the records, never by spreading them, so the password hash and the binding
 * nonces (from which tokens derive) cannot leak into the output by accident.
 */
export interface AccountJson extends AccountSettings {
  name: string;
  /** Seats taken: the number of machines bound. */
  used: number;
}

export interface BindingJson {
  machineCode: string;
  nodeId: string;
  ip: string;
  domain: string | null;
  appName: string;
  mac: string | null;
  appVersion: string;
  boundAt: string;
  registeredAt: string;
  /** As last persisted; the API writes heartbeats through to MySQL only every LAST_SEEN_PERSIST_SECONDS. */
  lastSeenAt: string | null;
}

export interface AccountWithBindingsJson extends AccountJson {
  bindings: BindingJson[];
}

export function toAccountJson(record: AccountRecord, used: number): AccountJson {
  const { settings } = record;
  return {
    name: record.certificate.name,
    status: settings.status,
    version: settings.version,
    expiresAt: settings.expiresAt,
    maxRegistrations: settings.maxRegistrations,
    allowedIps: [...settings.allowedIps],
    allowedDomains: [...settings.allowedDomains],
    allowedAppNames: [...settings.allowedAppNames],
    used,
  };
}

export function toBindingJson(row: BindingView): BindingJson {
  return {
    machineCode: row.machine_code,
    nodeId: row.node_id,
    ip: row.ip,
    domain: row.domain,
    appName: row.app_name,
    mac: row.mac,
    appVersion: row.app_version,
    boundAt: row.bound_at,
    registeredAt: row.registered_at,
    lastSeenAt: row.last_seen_at,
  };
}
